//! CSRF tokens for anonymous visitors: a random value in a signed cookie, echoed in the form.
//! Nothing is stored on the server, so showing the sign-in page writes nothing anywhere.
//! Signed-in users' tokens live in their session (see `session::auth`). Cross-origin requests
//! are also refused earlier by tower-http's `CsrfLayer` (Sec-Fetch-Site / Origin).

use tower_cookies::cookie::SameSite;
use tower_cookies::{Cookie, Cookies, Key};

use super::tokens::random_token;

const COOKIE: &str = "folio_csrf";

/// The token in the visitor's signed cookie, if it is there and untampered.
pub fn existing_anonymous_token(cookies: &Cookies, key: &Key) -> Option<String> {
    cookies
        .signed(key)
        .get(COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

/// The visitor's token, creating it (and its cookie) on first use.
pub fn anonymous_token(cookies: &Cookies, key: &Key, secure: bool) -> String {
    if let Some(token) = existing_anonymous_token(cookies, key) {
        return token;
    }
    let token = random_token();
    let mut cookie = Cookie::new(COOKIE, token.clone());
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_secure(secure);
    cookie.set_same_site(SameSite::Lax);
    cookies.signed(key).add(cookie);
    token
}
