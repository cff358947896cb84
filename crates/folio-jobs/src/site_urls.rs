//! The site's URLs that more than one place writes: emails (the jobs and folio-web's
//! handlers), the public pages' templates and the feed. Built here only, so a route that moves
//! is changed once. Paths are relative to the site root; [`absolute`] puts the base URL in
//! front for emails and the feed.

/// A category's public page (its items).
pub fn category(category_slug: &str) -> String {
    format!("/site/items/{category_slug}/")
}

/// An item's public page.
pub fn item(category_slug: &str, item_slug: &str) -> String {
    format!("/site/items/{category_slug}/{item_slug}/")
}

/// The unsubscribe link of a subscriber (`GET` shows a page with a button, `POST` is that button
/// or the RFC 8058 one-click request).
pub fn unsubscribe(token: &str) -> String {
    format!("/site/unsubscribe/{token}/")
}

/// The page (`GET`) and form target (`POST`) that confirm a subscription.
pub fn subscription_confirm(token: &str) -> String {
    format!("/site/subscribe/confirm/{token}/")
}

/// The page where a reset link's holder chooses a new password.
pub fn password_reset(token: &str) -> String {
    format!("/forgot-password/{token}/")
}

/// A contact message in the admin panel.
pub fn contact_message_admin(id: i64) -> String {
    format!("/admin/contact-messages/{id}/")
}

/// `path` on the site at `base_url` (given without its trailing slash).
pub fn absolute(base_url: &str, path: &str) -> String {
    format!("{base_url}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_routes() {
        assert_eq!(category("news"), "/site/items/news/");
        assert_eq!(item("news", "hello"), "/site/items/news/hello/");
        assert_eq!(unsubscribe("t"), "/site/unsubscribe/t/");
        assert_eq!(subscription_confirm("t"), "/site/subscribe/confirm/t/");
        assert_eq!(password_reset("t"), "/forgot-password/t/");
        assert_eq!(contact_message_admin(7), "/admin/contact-messages/7/");
        assert_eq!(
            absolute("https://example.org", "/site/"),
            "https://example.org/site/"
        );
    }
}
