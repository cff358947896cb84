//! Flash messages: shown once on the next page, then gone. They travel in a signed cookie, so
//! they need no server storage and work before sign-in ("Account is created…").

use serde::{Deserialize, Serialize};
use tower_cookies::{Cookie, Cookies, Key};

pub const COOKIE: &str = "folio_flash";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            level: Level::Success,
            message: message.into(),
        }
    }

    pub fn css_class(&self) -> &'static str {
        match self.level {
            Level::Success => "flash flash-success",
            Level::Error => "flash flash-error",
        }
    }
}

/// Queues `flash` for the next page.
pub fn push(cookies: &Cookies, key: &Key, secure: bool, flash: Flash) {
    let signed = cookies.signed(key);
    let mut queued = read(cookies, key);
    queued.push(flash);
    let Ok(json) = serde_json::to_vec(&queued) else {
        return;
    };
    let mut cookie = Cookie::new(COOKIE, hex::encode(json));
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_secure(secure);
    cookie.set_same_site(tower_cookies::cookie::SameSite::Lax);
    signed.add(cookie);
}

fn read(cookies: &Cookies, key: &Key) -> Vec<Flash> {
    cookies
        .signed(key)
        .get(COOKIE)
        .and_then(|cookie| hex::decode(cookie.value()).ok())
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default()
}

/// Takes the queued messages and clears the cookie.
pub fn take(cookies: &Cookies, key: &Key) -> Vec<Flash> {
    if cookies.get(COOKIE).is_none() {
        return Vec::new();
    }
    let flashes = read(cookies, key);
    let mut removal = Cookie::from(COOKIE);
    removal.set_path("/");
    cookies.remove(removal);
    flashes
}
