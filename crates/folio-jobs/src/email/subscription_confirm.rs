//! The double opt-in of a subscription from the public form (folio-web's `site::subscribe`).

use crate::mailer::Email;

super::email! {
    /// A link to the page that confirms the subscription.
    SubscriptionConfirm {
        /// `FOLIO_SITE_NAME`.
        site_name,
        /// Absolute: [`crate::site_urls::subscription_confirm`] on the base URL.
        link,
    }
    subject: "email/templates/subscription_confirm/subject.txt",
    text: "email/templates/subscription_confirm/body.txt",
    html: "email/templates/subscription_confirm/body.html",
}

impl SubscriptionConfirm<'_> {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(self.parts()?.to(to))
    }
}
