//! Flash messages: shown once on the next page, then gone. They travel in a signed cookie, so
//! they need no server storage and work before sign-in ("Account is created…").

use serde::{Deserialize, Serialize};
use tower_cookies::{Cookie, Cookies, Key};

pub const COOKIE: &str = "folio_flash";
/// At most this many messages wait, the newest kept, each at most [`MAX_CHARS`] long: the
/// cookie stays well under the 4 KB browsers keep (a larger one is silently dropped), however
/// many messages a run of requests queues or however long a name one repeats.
pub const MAX_QUEUED: usize = 3;
pub const MAX_CHARS: usize = 300;

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
    queued.push(Flash {
        message: shortened(flash.message),
        ..flash
    });
    let excess = queued.len().saturating_sub(MAX_QUEUED);
    queued.drain(..excess);
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

/// `message`, cut to [`MAX_CHARS`] characters with an ellipsis when longer.
fn shortened(message: String) -> String {
    match message.char_indices().nth(MAX_CHARS - 1) {
        Some((cut, _)) if message.chars().count() > MAX_CHARS => format!("{}…", &message[..cut]),
        _ => message,
    }
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

#[cfg(test)]
mod tests {
    use super::{MAX_CHARS, shortened};

    #[test]
    fn long_messages_are_cut_with_an_ellipsis() {
        assert_eq!(shortened("short".into()), "short");
        let exact = "é".repeat(MAX_CHARS);
        assert_eq!(shortened(exact.clone()), exact);
        let long = shortened("é".repeat(MAX_CHARS + 50));
        assert_eq!(long.chars().count(), MAX_CHARS);
        assert!(long.ends_with('…'));
    }
}
