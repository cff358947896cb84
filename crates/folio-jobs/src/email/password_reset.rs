//! The password-reset link (folio-web's `accounts::reset`).

use crate::mailer::Email;

super::email! {
    /// A link to choose a new password.
    PasswordReset {
        /// Absolute: [`crate::site_urls::password_reset`] on the base URL.
        link,
    }
    subject: "email/templates/password_reset/subject.txt",
    text: "email/templates/password_reset/body.txt",
    html: "email/templates/password_reset/body.html",
}

impl PasswordReset<'_> {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(self.parts()?.to(to))
    }
}
