//! A message from the contact form, to one staff member (the `contact_received` job).

use crate::mailer::Email;

super::email! {
    /// The visitor's message and where staff read it in the admin panel.
    ContactReceived {
        name,
        /// The visitor's address, also the `Reply-To`.
        email,
        subject,
        message,
        /// Absolute: [`crate::site_urls::contact_message_admin`] on the base URL.
        admin_url,
    }
    subject: "email/templates/contact_received/subject.txt",
    text: "email/templates/contact_received/body.txt",
    html: "email/templates/contact_received/body.html",
}

impl ContactReceived<'_> {
    /// Staff answer the visitor with their mail client's Reply.
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            reply_to: Some(self.email.to_owned()),
            ..self.parts()?.to(to)
        })
    }
}
