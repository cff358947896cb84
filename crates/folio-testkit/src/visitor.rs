//! A browser: its own cookie jar, no automatic redirects (tests look at every hop).

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, Url, redirect};

/// The password every test user gets unless a test says otherwise.
pub const PASSWORD: &str = "correct-horse-battery";

/// A response, read completely.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The redirect target, when there is one.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|value| value.to_str().ok())
    }

    /// The id in a redirect to `prefix<id>/` (where a form that created a row sends you).
    pub fn redirect_id(&self, prefix: &str) -> Option<i64> {
        self.location()?
            .strip_prefix(prefix)?
            .trim_end_matches('/')
            .parse()
            .ok()
    }

    /// Panics unless this is a redirect (301/302/303/307/308) to exactly `target`.
    #[track_caller]
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    pub fn assert_redirect(&self, target: &str) {
        assert!(
            self.status.is_redirection(),
            "expected a redirect to {target}, got {}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.location(), Some(target));
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "expected {text:?} in the {} page:\n{}",
            self.status,
            self.body
        );
    }

    #[track_caller]
    pub fn assert_lacks(&self, text: &str) {
        assert!(
            !self.body.contains(text),
            "did not expect {text:?} in the {} page:\n{}",
            self.status,
            self.body
        );
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The ids in links of the form `/notes/<id>/`, in page order (the note table's rows).
    pub fn note_ids(&self) -> Vec<i64> {
        ids_after(&self.body, "<td><a href=\"/notes/")
    }
}

fn ids_after(body: &str, prefix: &str) -> Vec<i64> {
    body.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &body[at + prefix.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// The value of the hidden `csrf_token` field of the first form in `html`.
pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub struct Visitor {
    base: String,
    client: Client,
    jar: Arc<Jar>,
}

impl Visitor {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A visitor whose requests come through a proxy that names it as `ip` in
    /// `X-Forwarded-For` (what an app with one trusted proxy hop takes as the client address):
    /// each gets its own share of the per-client rate limits.
    pub fn behind_proxy(base: &str, ip: std::net::IpAddr) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.to_string().parse().unwrap());
        Self::with_headers(base, headers)
    }

    fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            client,
            jar,
        }
    }

    /// The same browser (cookie jar) sent to another instance at `base`, as a load balancer
    /// may send the next request of a visitor anywhere.
    pub fn via(&self, base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: self.client.clone(),
            jar: self.jar.clone(),
        }
    }

    /// Another browser holding a copy of this one's cookies at this moment (a stolen cookie, a
    /// second tab that won't see later changes).
    pub fn copy(&self) -> Self {
        let copy = Self::new(&self.base);
        let url: Url = self.base.parse().unwrap();
        for pair in self.cookie_header().split("; ").filter(|pair| !pair.is_empty()) {
            copy.jar.add_cookie_str(&format!("{pair}; Path=/"), &url);
        }
        copy
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// A request with extra headers (for tests of headers and odd clients).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        Self::read(request.send().await.unwrap()).await
    }

    /// A request builder on this visitor's client (cookies included).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// POSTs the fields exactly as given (no CSRF token is added).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Like a person: opens the form at `path`, then submits it with its CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.submit_via(path, path, fields).await
    }

    /// Takes a valid CSRF token from the form at `form_page` and posts `fields` with it to
    /// `action` (for POSTs whose own page has no form: someone else's note, a dead link).
    pub async fn submit_via(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_page).await;
        let token =
            csrf_token(&form.body).unwrap_or_else(|| panic!("no CSRF token on {form_page}: {}", form.body));
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post(action, &all).await
    }

    /// Like a browser sending a form with a file input: takes a CSRF token from `form_page`,
    /// then posts `multipart/form-data` to `action`, the text fields first and the file (as
    /// field `image`, named `file_name`, declared `image/jpeg` whatever it holds) last.
    pub async fn submit_file(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> Page {
        let form = self.get(form_page).await;
        let token =
            csrf_token(&form.body).unwrap_or_else(|| panic!("no CSRF token on {form_page}: {}", form.body));
        let mut multipart = reqwest::multipart::Form::new().text("csrf_token", token);
        for (name, value) in fields {
            multipart = multipart.text(name.to_string(), value.to_string());
        }
        let (file_name, bytes) = file.unwrap_or(("", Vec::new()));
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str("image/jpeg")
            .unwrap();
        multipart = multipart.part("image", part);
        Self::read(
            self.client
                .post(self.url(action))
                .multipart(multipart)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// GETs `path` and returns the status, headers and raw body (images).
    pub async fn fetch_bytes(
        &self,
        path: &str,
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// The cookies this visitor would send, as a `Cookie` header value.
    pub fn cookie_header(&self) -> String {
        let url: Url = self.base.parse().unwrap();
        self.jar
            .cookies(&url)
            .and_then(|value| value.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The value of one of this visitor's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookie_header()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/signup/",
            &[
                ("email", email),
                ("password", password),
                ("repeat_password", password),
            ],
        )
        .await
    }

    /// Whether this visitor is signed in: the notes home answers 200, or sends to the sign-in
    /// page (anything else is a failure of the test).
    pub async fn is_signed_in(&self) -> bool {
        let page = self.get("/").await;
        match page.status.as_u16() {
            200 => true,
            302 => false,
            other => panic!("GET / answered {other}: {}", page.body),
        }
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit("/signin/", &[("email", email), ("password", password)])
            .await
    }

    /// Signs up and signs in with [`PASSWORD`].
    pub async fn register(&self, email: &str) {
        self.sign_up(email, PASSWORD).await.assert_redirect("/signin/");
        self.sign_in(email, PASSWORD).await.assert_redirect("/");
    }

    /// Creates a pad and returns its id.
    pub async fn create_pad(&self, name: &str) -> i64 {
        let page = self.submit("/pads/create/", &[("name", name)]).await;
        let location = page
            .location()
            .unwrap_or_else(|| panic!("pad not created: {}", page.body));
        ids_after(location, "/pads/")[0]
    }

    /// Creates a note and returns its id (the newest note of the user).
    pub async fn create_note(&self, name: &str, text: &str, pad: Option<i64>) -> i64 {
        let pad = pad.map(|id| id.to_string()).unwrap_or_default();
        let page = self
            .submit("/notes/create/", &[("name", name), ("text", text), ("pad", &pad)])
            .await;
        assert!(page.status.is_redirection(), "note not created: {}", page.body);
        *self
            .get("/?order=-updated_at")
            .await
            .note_ids()
            .first()
            .expect("the new note is listed")
    }
}
