//! Every email Folio sends, in one place next to the mailer (as crates.io keeps its emails):
//! one module per email with its typed struct, rendered from `templates/<name>/` (`subject.txt`,
//! `body.txt`, `body.html`) into an [`Email`]. The jobs and folio-web's handlers only fill in
//! the struct, so what a person receives is read and reviewed here.

pub mod account_exists;
pub mod contact_received;
pub mod notification;
pub mod password_reset;
pub mod subscription_confirm;

pub use account_exists::AccountExists;
pub use contact_received::ContactReceived;
pub use notification::Notification;
pub use password_reset::PasswordReset;
pub use subscription_confirm::SubscriptionConfirm;

use askama::Template;

use crate::mailer::Email;

/// The rendered subject, plain-text body and HTML body of one email.
#[derive(Debug)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Parts {
    fn render(subject: &impl Template, text: &impl Template, html: &impl Template) -> askama::Result<Self> {
        Ok(Self {
            subject: subject.render()?,
            text: text.render()?,
            html: html.render()?,
        })
    }

    /// The email to `to`, without the optional headers (each email adds its own).
    pub fn to(self, to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: self.subject,
            text: self.text,
            html: self.html,
            list_unsubscribe: None,
            reply_to: None,
        }
    }
}

/// Declares one email: its typed struct (text fields, borrowed) and the three templates of
/// `templates/<name>/`, which see the struct's fields by name. The templates are structs of
/// their own because askama ties one template to one type; each module's `Text` and `Html` are
/// public so that snapshot tests can render a part on its own.
macro_rules! email {
    (
        $(#[$doc:meta])*
        $name:ident {
            $($(#[$field_doc:meta])* $field:ident),+ $(,)?
        }
        subject: $subject:literal,
        text: $text:literal,
        html: $html:literal $(,)?
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            $($(#[$field_doc])* pub $field: &'a str,)+
        }

        #[derive(askama::Template)]
        #[template(path = $subject)]
        // A subject shows only some of the fields.
        #[allow(dead_code)]
        pub struct Subject<'a> {
            $(pub $field: &'a str,)+
        }

        #[derive(askama::Template)]
        #[template(path = $text)]
        pub struct Text<'a> {
            $(pub $field: &'a str,)+
        }

        #[derive(askama::Template)]
        #[template(path = $html)]
        pub struct Html<'a> {
            $(pub $field: &'a str,)+
        }

        impl $name<'_> {
            /// Subject, text and HTML, rendered from this email's templates.
            pub fn parts(&self) -> askama::Result<$crate::email::Parts> {
                let Self { $($field),+ } = *self;
                $crate::email::Parts::render(
                    &Subject { $($field),+ },
                    &Text { $($field),+ },
                    &Html { $($field),+ },
                )
            }
        }
    };
}
use email;

#[cfg(test)]
mod tests {
    use super::{ContactReceived, Notification};

    // Subjects and plain-text bodies are text: a title with markup characters must arrive as
    // typed (it did when the subject was a `format!`), only the HTML body escapes it.
    #[test]
    fn text_parts_are_not_html_escaped() -> askama::Result<()> {
        let title = "Tom & Jerry <3 \"quotes\"";
        let email = Notification {
            site_name: "Folio",
            title,
            summary: "s",
            item_url: "https://example.org/site/items/c/i/",
            unsubscribe_url: "https://example.org/site/unsubscribe/t/",
            image_url: "",
            image_alt: "",
            image_width: "",
        }
        .render("reader@example.org")?;
        assert_eq!(email.subject, format!("New on Folio: {title}"));
        assert!(email.text.starts_with(title));
        assert!(
            email.html.contains("Tom &#38; Jerry &#60;3 &#34;quotes&#34;"),
            "{}",
            email.html
        );
        assert_eq!(
            email.list_unsubscribe.as_deref(),
            Some("https://example.org/site/unsubscribe/t/")
        );
        Ok(())
    }

    fn harbour(image_url: &'static str) -> Notification<'static> {
        Notification {
            site_name: "Folio",
            title: "Morning at the harbour",
            summary: "Boats, gulls & fog.",
            item_url: "https://example.org/site/items/notes/morning/",
            unsubscribe_url: "https://example.org/site/unsubscribe/t/",
            image_url,
            image_alt: "Fishing boats in \"fog\"",
            image_width: "600",
        }
    }

    #[test]
    fn a_notification_shows_the_summary_and_the_image() -> askama::Result<()> {
        let email = harbour("https://example.org/media/images/abc/display.jpg").render("r@example.org")?;
        insta::assert_snapshot!("notification_html_with_image", email.html);
        insta::assert_snapshot!("notification_text_with_image", email.text);
        Ok(())
    }

    #[test]
    fn a_notification_without_an_image_has_no_img() -> askama::Result<()> {
        let email = harbour("").render("r@example.org")?;
        assert!(!email.html.contains("<img"), "{}", email.html);
        assert!(email.html.contains("Boats, gulls &#38; fog."), "{}", email.html);
        Ok(())
    }

    #[test]
    fn a_contact_message_replies_to_the_visitor() -> askama::Result<()> {
        let email = ContactReceived {
            name: "Ann",
            email: "ann@example.net",
            subject: "Hi & bye",
            message: "text",
            admin_url: "https://example.org/admin/contact-messages/1/",
        }
        .render("staff@example.org")?;
        assert_eq!(email.to, "staff@example.org");
        assert_eq!(email.subject, "Contact form: Hi & bye");
        assert_eq!(email.reply_to.as_deref(), Some("ann@example.net"));
        Ok(())
    }
}
