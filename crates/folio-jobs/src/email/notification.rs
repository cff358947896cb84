//! A new item, to one subscriber (the `send_notifications` job).

use crate::mailer::Email;

super::email! {
    /// What both parts of a notification show.
    Notification {
        /// `FOLIO_SITE_NAME`.
        site_name,
        title,
        summary,
        /// Absolute: [`crate::site_urls::item`] on the base URL.
        item_url,
        /// Absolute: [`crate::site_urls::unsubscribe`] on the base URL, with the subscriber's token.
        unsubscribe_url,
        /// The item's display JPEG at a URL that does not expire; empty for no image.
        image_url,
        /// The image's description (alt text).
        image_alt,
        /// The width to show the image at in the HTML part (at most the email's column).
        image_width,
    }
    subject: "email/templates/notification/subject.txt",
    text: "email/templates/notification/body.txt",
    html: "email/templates/notification/body.html",
}

impl Notification<'_> {
    /// With `List-Unsubscribe`, so mail clients offer their own one-click unsubscribe.
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(Email {
            list_unsubscribe: Some(self.unsubscribe_url.to_owned()),
            ..self.parts()?.to(to)
        })
    }
}
