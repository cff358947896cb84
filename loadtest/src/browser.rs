//! What each goose user does as a browser: its own client (cookie jar, the stack's CA, its own
//! source address), pages read and checked, and HTML forms posted with their CSRF token and
//! the `Origin` / `Sec-Fetch-Site` headers a browser sends with a form.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use goose::goose::GooseResponse;
use goose::prelude::*;
use regex::Regex;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::settings::{SourceAddresses, settings};

pub type Fallible<T> = Result<T, Box<TransactionError>>;

/// A page as the browser ended on it (after following redirects).
#[derive(Debug)]
pub struct Page {
    /// The path of the final URL (after redirects).
    pub path: String,
    pub body: String,
}

/// What a response must be for its request to count as a success.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expect<'a> {
    /// The user is signed in: ending on the sign-in page means the session was lost.
    pub signed_in: bool,
    /// The final path (after redirects) must start with this.
    pub lands_on: Option<&'a str>,
    /// The body must contain this.
    pub contains: Option<&'a str>,
    /// A `429 Too Many Requests` is the app's rate limit doing its job, not a failure (only
    /// where every request comes from one client address: see `settings::SourceAddresses`).
    pub limited_ok: bool,
}

impl<'a> Expect<'a> {
    pub fn signed_in() -> Self {
        Self {
            signed_in: true,
            ..Self::default()
        }
    }
    pub fn lands_on(mut self, path: &'a str) -> Self {
        self.lands_on = Some(path);
        self
    }
    pub fn contains(mut self, text: &'a str) -> Self {
        self.contains = Some(text);
        self
    }
}

/// Source addresses handed out so far (`127.10.0.1` onwards).
static NEXT_SOURCE: AtomicU32 = AtomicU32::new(0);

/// A fresh loopback address, `127.10.0.1` to `127.255.255.254`: a new client as the stack's
/// proxy sees it (and so as the app's per-client rate limits see it).
pub fn next_loopback_source() -> IpAddr {
    let n = NEXT_SOURCE.fetch_add(1, Ordering::Relaxed);
    // 254 hosts per /24, skipping .0 and .255.
    let host = (n % 254) as u8 + 1;
    let rest = n / 254;
    let c = (rest % 256) as u8;
    let b = (10 + (rest / 256) % 246) as u8;
    IpAddr::V4(Ipv4Addr::new(127, b, c, host))
}

/// Gives the user a new browser: a new cookie jar and, with loopback sources, a new source
/// address. Each goose user calls this when it starts; an arriving subscriber on each visit.
pub async fn new_browser(user: &mut GooseUser) -> Fallible<()> {
    let s = settings();
    let mut builder = reqwest::Client::builder()
        .cookie_store(true)
        .gzip(true)
        .user_agent(concat!("folio-loadtest/", env!("CARGO_PKG_VERSION"), " (goose)"))
        .timeout(Duration::from_secs(s.timeout_secs));
    if let Some(pem) = &s.ca_pem {
        builder = builder.tls_backend_preconfigured(crate::tls::client_config(pem).map_err(custom)?);
    }
    if s.source_addresses(&user.base_url) == SourceAddresses::Loopback {
        builder = builder.local_address(next_loopback_source());
    }
    user.set_client_builder(builder).await.map_err(Box::new)
}

pub fn custom(message: impl Into<String>) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(message.into()))
}

/// The origin a browser would send with a form of this site.
fn origin(user: &GooseUser) -> String {
    user.base_url.origin().ascii_serialization()
}

/// GET `path`, named `name` in the metrics, and check it.
pub async fn get(user: &mut GooseUser, path: &str, name: &str, expect: Expect<'_>) -> Fallible<Page> {
    let request = GooseRequest::builder().path(path).name(name).build();
    send(user, request, expect).await
}

/// POSTs a url-encoded form (the CSRF token first, as the page's hidden field is).
pub async fn post_form(
    user: &mut GooseUser,
    path: &str,
    name: &str,
    csrf_token: &str,
    fields: &[(&str, &str)],
    expect: Expect<'_>,
) -> Fallible<Page> {
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", csrf_token)];
    all.extend_from_slice(fields);
    let builder = user
        .get_request_builder(&GooseMethod::Post, path)?
        .header("Origin", origin(user))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&all);
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build();
    send(user, request, expect).await
}

/// POSTs a multipart form (the admin's forms, which can carry an image), with `image` as the
/// file field: `None` is what a browser sends for a file input left empty.
pub async fn post_multipart(
    user: &mut GooseUser,
    path: &str,
    name: &str,
    csrf_token: &str,
    fields: &[(&str, String)],
    expect: Expect<'_>,
) -> Fallible<Page> {
    let mut form = Form::new().text("csrf_token", csrf_token.to_owned());
    for (field, value) in fields {
        form = form.text((*field).to_owned(), value.clone());
    }
    form = form.part("image", empty_file()?);
    let builder = user
        .get_request_builder(&GooseMethod::Post, path)?
        .header("Origin", origin(user))
        .header("Sec-Fetch-Site", "same-origin")
        .multipart(form);
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build();
    send(user, request, expect).await
}

/// A file input left empty, as a browser sends it.
pub fn empty_file() -> Fallible<Part> {
    Part::bytes(Vec::new())
        .file_name("")
        .mime_str("application/octet-stream")
        .map_err(|e| custom(e.to_string()))
}

/// Sends the request, reads the body and applies `expect`; a failed check marks the request
/// as failed in goose's metrics (with the reason as its error) and ends the transaction.
async fn send(user: &mut GooseUser, request: GooseRequest<'_>, expect: Expect<'_>) -> Fallible<Page> {
    let GooseResponse {
        mut request,
        response,
    } = user.request(request).await?;
    let response = match response {
        Ok(response) => response,
        // Goose has already counted it as a failure (connection refused, timeout, ...).
        Err(e) => return Err(custom(format!("{}: {}", request.name, crate::seed::chain(&e)))),
    };
    let status = response.status();
    let path = response.url().path().to_owned();
    let headers = response.headers().clone();
    let body = match response.text().await {
        Ok(body) => body,
        Err(e) => {
            let tag = format!("reading the body: {e}");
            return Err(fail(user, &tag, &mut request, &headers, ""));
        }
    };
    if status == StatusCode::TOO_MANY_REQUESTS && expect.limited_ok {
        // Counted as a success, and counted apart (status code table, and the summary line).
        crate::settings::count_limited();
        user.set_success(&mut request)?;
        return Ok(Page { path, body });
    }
    if !status.is_success() {
        let tag = format!(
            "{} {} -> {status} at {path}",
            request.raw.method_label(),
            request.name
        );
        return Err(fail(user, &tag, &mut request, &headers, &body));
    }
    if expect.signed_in && path.starts_with("/signin/") {
        let tag = format!("{}: bounced to the sign-in page (session lost)", request.name);
        return Err(fail(user, &tag, &mut request, &headers, &body));
    }
    if let Some(prefix) = expect.lands_on
        && !path.starts_with(prefix)
    {
        let tag = format!("{}: ended on {path}, expected {prefix}", request.name);
        return Err(fail(user, &tag, &mut request, &headers, &body));
    }
    if let Some(text) = expect.contains
        && !body.contains(text)
    {
        let tag = format!("{}: the page lacks {text:?}", request.name);
        return Err(fail(user, &tag, &mut request, &headers, &body));
    }
    Ok(Page { path, body })
}

fn fail(
    user: &mut GooseUser,
    tag: &str,
    request: &mut goose::metrics::GooseRequestMetric,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> Box<TransactionError> {
    // A request goose already counted as failed (a 4xx/5xx) keeps its first error; this one
    // still goes to the debug log with the body.
    match user.set_failure(tag, request, Some(headers), Some(body)) {
        Err(e) => e,
        Ok(()) => custom(tag),
    }
}

/// The CSRF token of the first form on the page.
pub fn csrf_token(page: &Page) -> Fallible<String> {
    static RE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r#"name="csrf_token" value="([^"]+)""#).expect("a valid regex")
    });
    RE.captures(&page.body)
        .map(|c| unescape(&c[1]))
        .ok_or_else(|| custom(format!("no csrf_token field on {}", page.path)))
}

/// Every capture of `re`'s first group in `text`, unescaped, without repeats, in page order.
pub fn all_matches(re: &Regex, text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for c in re.captures_iter(text) {
        let value = unescape(&c[1]);
        if !found.contains(&value) {
            found.push(value);
        }
    }
    found
}

/// The entities the app's templates write in attribute values (askama writes `&` as `&#38;`).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => match entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                    None => entity
                        .strip_prefix('#')
                        .and_then(|d| d.parse().ok())
                        .and_then(char::from_u32),
                },
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_sources_are_distinct_and_never_network_or_broadcast() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let IpAddr::V4(ip) = next_loopback_source() else {
                panic!("not IPv4")
            };
            let [a, b, _, d] = ip.octets();
            assert_eq!(a, 127);
            assert!(b >= 10);
            assert!(d != 0 && d != 255);
            assert!(seen.insert(ip));
        }
    }

    #[test]
    fn csrf_token_is_read_and_unescaped() {
        let page = Page {
            path: "/signin/".into(),
            body: r#"<form><input type="hidden" name="csrf_token" value="ab&amp;cd"></form>"#.into(),
        };
        assert_eq!(csrf_token(&page).ok().as_deref(), Some("ab&cd"));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            unescape("a?x=1&#38;y=2&amp;z=&#x27;3&#39;&lt;"),
            "a?x=1&y=2&z='3'<"
        );
        assert_eq!(
            unescape("fish & chips &unknown; &#;"),
            "fish & chips &unknown; &#;"
        );
    }
}
