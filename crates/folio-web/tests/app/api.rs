//! The JSON API through HTTP: tokens made in Settings, ownership, scopes, expiry and
//! revocation, conditional requests, paging, problem details, rate limits, the OpenAPI
//! document and the docs page.

use folio_testkit::{PASSWORD, TestApp, Visitor, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

backend_tests!(
    a_token_made_in_settings_is_shown_once_stored_hashed_and_works,
    missing_or_bad_credentials_are_401_problems,
    notes_round_trip_with_etags_and_preconditions,
    another_users_notes_and_pads_are_404,
    read_only_tokens_cannot_write,
    revoked_expired_and_password_changed_tokens_stop_working,
    bad_bodies_and_fields_are_problems_and_change_nothing,
    lists_page_with_links_and_totals,
    pads_round_trip_and_deleting_one_deletes_its_notes,
    a_browser_session_works_with_a_csrf_header_on_writes,
    each_token_is_rate_limited,
    the_openapi_document_and_docs_are_served,
    published_content_is_public_and_drafts_are_staff_only,
    staff_change_content_with_the_admins_rules_audit_and_notifications,
    images_are_uploaded_as_multipart_with_the_admins_checks,
);

/// An API client with a bearer token.
struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

/// An answer: status, headers, and the body as JSON (`Null` when empty or not JSON).
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[track_caller]
    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.json);
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.json
        );
        assert_eq!(self.json["status"], status, "{}", self.json);
        assert!(
            self.json["title"].is_string() && self.json["detail"].is_string(),
            "{}",
            self.json
        );
    }
}

impl Api {
    fn new(app: &TestApp, token: &str) -> Self {
        Self {
            base: app.base_url().to_owned(),
            token: token.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(json_body(self.request(Method::POST, path), &body))
            .await
    }

    async fn patch(&self, path: &str, body: Value, if_match: Option<&str>) -> Answer {
        let mut request = json_body(self.request(Method::PATCH, path), &body);
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        self.send(request).await
    }

    /// An anonymous request: no token.
    async fn get_anonymously(&self, path: &str, if_none_match: Option<&str>) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(etag) = if_none_match {
            request = request.header("if-none-match", etag);
        }
        self.send(request).await
    }

    /// `bytes` as the `image` part of a multipart body.
    async fn put_image(&self, path: &str, bytes: Vec<u8>) -> Answer {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("photo.png");
        let form = reqwest::multipart::Form::new().part("image", part);
        self.send(self.request(Method::PUT, path).multipart(form)).await
    }

    async fn delete(&self, path: &str, if_match: Option<&str>) -> Answer {
        let mut request = self.request(Method::DELETE, path);
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        self.send(request).await
    }
}

fn json_body(request: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Sends `head` alone over a raw connection and returns the whole answer as text.
async fn raw_exchange(app: &TestApp, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Makes a token in Settings as a person would, and returns it (it is on that page only).
async fn make_token(v: &Visitor, name: &str, scope: &str, expires: &str) -> String {
    let page = v
        .submit(
            "/settings/tokens/",
            &[("name", name), ("scope", scope), ("expires", expires)],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    token_in(&page.body).unwrap_or_else(|| panic!("no token on the page: {}", page.body))
}

/// The full token on a page: `folio_pat_` and 64 hex digits (the page also names the prefix
/// alone, and the hints of listed tokens).
fn token_in(html: &str) -> Option<String> {
    html.match_indices("folio_pat_")
        .find_map(|(start, _)| full_token_at(&html[start..]))
}

fn full_token_at(text: &str) -> Option<String> {
    let token: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (token.len() == "folio_pat_".len() + 64).then_some(token)
}

/// A registered person with a read and write token.
async fn person(app: &TestApp, email: &str) -> (Visitor, Api) {
    let v = app.visitor();
    v.register(email).await;
    let token = make_token(&v, "script", "write", "30").await;
    (v, Api::new(app, &token))
}

async fn a_token_made_in_settings_is_shown_once_stored_hashed_and_works(app: TestApp) {
    let (v, api) = person(&app, "a@example.org").await;
    let me = api.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.json);
    assert_eq!(me.json["email"], "a@example.org");
    assert_eq!(me.json["credential"], "token");
    assert_eq!(me.json["can_write"], true);
    assert!(me.json.get("csrf_token").is_none());
    // Listed by name and hint, never shown again, and only its digest is stored.
    let list = v.get("/settings/tokens/").await;
    list.assert_contains("script");
    list.assert_contains(&format!("folio_pat_{}…", &api.token[10..16]));
    list.assert_lacks(&api.token);
    assert_eq!(token_in(&list.body), None);
    let stored = folio_db::queries::api_tokens::list_for_user(app.db(), 1)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, api.token);
    assert!(!stored[0].token_hash.contains(&api.token[10..]));
    assert!(stored[0].last_used_at.is_some(), "the use is recorded");
    // A refused form makes no token.
    let refused = v
        .submit(
            "/settings/tokens/",
            &[("name", " "), ("scope", "admin"), ("expires", "9999")],
        )
        .await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("This field is required.");
    refused.assert_contains("Choose read, or read and write.");
    refused.assert_contains("Choose one of the expiry periods.");
    assert_eq!(app.count("api_tokens").await, 1);
}

async fn missing_or_bad_credentials_are_401_problems(app: TestApp) {
    let (_, api) = person(&app, "a@example.org").await;
    let anonymous = Api::new(&app, "");
    let none = anonymous
        .send(anonymous.client.get(format!("{}/api/v1/notes", anonymous.base)))
        .await;
    none.assert_problem(401);
    assert_eq!(none.header("www-authenticate"), r#"Bearer realm="folio""#);
    let unknown = format!("folio_pat_{}", "0".repeat(64));
    for authorization in [
        format!("Bearer {unknown}"),
        "Bearer not-a-folio-token".to_owned(),
        format!("Basic {}", api.token),
        "Bearer".to_owned(),
        format!("Bearer {}x", api.token),
    ] {
        let answer = api
            .send(
                api.client
                    .get(format!("{}/api/v1/notes", api.base))
                    .header("authorization", &authorization),
            )
            .await;
        answer.assert_problem(401);
        assert!(
            answer.header("www-authenticate").contains("invalid_token"),
            "{authorization}"
        );
    }
    // Unknown API paths are problems too, not HTML pages.
    api.get("/api/v1/nothing-here").await.assert_problem(404);
}

async fn notes_round_trip_with_etags_and_preconditions(app: TestApp) {
    let (_, api) = person(&app, "a@example.org").await;
    let created = api
        .post(
            "/api/v1/notes",
            json!({"name": "Groceries", "text": "milk", "pad_id": null}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), format!("/api/v1/notes/{id}"));
    let path = format!("/api/v1/notes/{id}");

    let read = api.get(&path).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json["text"], "milk");
    let etag = read.header("etag");
    assert_eq!(
        etag,
        created.header("etag"),
        "the ETag names the same representation"
    );
    let cached = api
        .send(api.request(Method::GET, &path).header("if-none-match", &etag))
        .await;
    assert_eq!(cached.status, 304);
    assert_eq!(cached.header("etag"), etag);

    let changed = api.patch(&path, json!({"text": "milk, eggs"}), Some(&etag)).await;
    assert_eq!(changed.status, 200, "{}", changed.json);
    assert_eq!(changed.json["name"], "Groceries", "fields not sent are kept");
    assert_eq!(changed.json["text"], "milk, eggs");
    let fresh = changed.header("etag");
    assert_ne!(fresh, etag);

    // A write based on what was read before that change is refused, and changes nothing.
    let stale = api
        .patch(&path, json!({"text": "overwritten"}), Some(&etag))
        .await;
    stale.assert_problem(412);
    api.delete(&path, Some(&etag)).await.assert_problem(412);
    assert_eq!(api.get(&path).await.json["text"], "milk, eggs");
    // A weak tag never matches a write.
    api.patch(&path, json!({"text": "x"}), Some(&format!("W/{fresh}")))
        .await
        .assert_problem(412);

    assert_eq!(api.delete(&path, Some(&fresh)).await.status, 204);
    api.get(&path).await.assert_problem(404);
    api.delete(&path, None).await.assert_problem(404);
    assert_eq!(app.count("notes").await, 0);
}

async fn another_users_notes_and_pads_are_404(app: TestApp) {
    let (_, alice) = person(&app, "alice@example.org").await;
    let (_, bob) = person(&app, "bob@example.org").await;
    let pad = alice.post("/api/v1/pads", json!({"name": "Private"})).await.json["id"]
        .as_i64()
        .unwrap();
    let note = alice
        .post(
            "/api/v1/notes",
            json!({"name": "Secret", "text": "s", "pad_id": pad}),
        )
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    for path in [format!("/api/v1/notes/{note}"), format!("/api/v1/pads/{pad}")] {
        bob.get(&path).await.assert_problem(404);
        bob.patch(&path, json!({"name": "mine"}), None)
            .await
            .assert_problem(404);
        bob.delete(&path, None).await.assert_problem(404);
    }
    assert_eq!(bob.get("/api/v1/notes").await.json["total"], 0);
    assert_eq!(
        bob.get(&format!("/api/v1/notes?pad={pad}")).await.json["total"],
        0
    );
    assert_eq!(bob.get("/api/v1/pads").await.json["total"], 0);
    let into_alices_pad = bob
        .post("/api/v1/notes", json!({"name": "n", "text": "t", "pad_id": pad}))
        .await;
    into_alices_pad.assert_problem(422);
    assert_eq!(into_alices_pad.json["errors"][0]["field"], "pad_id");
    assert_eq!(
        alice.get(&format!("/api/v1/notes/{note}")).await.json["name"],
        "Secret"
    );
    assert_eq!(app.count("notes").await, 1);
    // Ids that are not positive numbers name nothing.
    for junk in ["0", "-1", "abc", "99999999999999999999"] {
        alice
            .get(&format!("/api/v1/notes/{junk}"))
            .await
            .assert_problem(404);
    }
}

async fn read_only_tokens_cannot_write(app: TestApp) {
    let (v, writer) = person(&app, "a@example.org").await;
    let reader = Api::new(&app, &make_token(&v, "dashboard", "read", "7").await);
    let id = writer
        .post("/api/v1/notes", json!({"name": "n", "text": "t"}))
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    assert_eq!(reader.get("/api/v1/notes").await.json["total"], 1);
    assert_eq!(reader.get("/api/v1/me").await.json["can_write"], false);
    let path = format!("/api/v1/notes/{id}");
    for answer in [
        reader
            .post("/api/v1/notes", json!({"name": "n", "text": "t"}))
            .await,
        reader.patch(&path, json!({"name": "changed"}), None).await,
        reader.delete(&path, None).await,
        reader.post("/api/v1/pads", json!({"name": "p"})).await,
    ] {
        answer.assert_problem(403);
        assert!(answer.header("www-authenticate").contains("insufficient_scope"));
    }
    assert_eq!(app.count("notes").await, 1);
    assert_eq!(app.count("pads").await, 0);
}

async fn revoked_expired_and_password_changed_tokens_stop_working(app: TestApp) {
    let (v, api) = person(&app, "a@example.org").await;
    let second = Api::new(&app, &make_token(&v, "second", "read", "90").await);
    let third = Api::new(&app, &make_token(&v, "third", "read", "never").await);
    for client in [&api, &second, &third] {
        assert_eq!(client.get("/api/v1/me").await.status, 200);
    }
    // Revoked in Settings.
    let tokens = folio_db::queries::api_tokens::list_for_user(app.db(), 1)
        .await
        .unwrap();
    let first_id = tokens.iter().find(|token| token.name == "script").unwrap().id;
    let revoked = v
        .submit_via(
            "/settings/tokens/",
            &format!("/settings/tokens/{first_id}/revoke/"),
            &[],
        )
        .await;
    revoked.assert_redirect("/settings/tokens/");
    api.get("/api/v1/me").await.assert_problem(401);
    // Someone else can't revoke yours.
    let other = app.visitor();
    other.register("b@example.org").await;
    let second_id = tokens.iter().find(|token| token.name == "second").unwrap().id;
    let foreign = other
        .submit_via(
            "/settings/",
            &format!("/settings/tokens/{second_id}/revoke/"),
            &[],
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(second.get("/api/v1/me").await.status, 200);
    // Expired (its expiry moved into the past before its first use: an expiry never changes
    // after a token is made, so the cached copy of a used token carries the real one).
    let expiring = Api::new(&app, &make_token(&v, "expiring", "read", "7").await);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    folio_db::entities::api_token::Entity::update_many()
        .col_expr(
            folio_db::entities::api_token::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(folio_db::entities::api_token::Column::Name.eq("expiring"))
        .exec(app.db())
        .await
        .unwrap();
    expiring.get("/api/v1/me").await.assert_problem(401);
    v.get("/settings/tokens/").await.assert_contains("Expired");
    // A password change ends every token, even one that never expires.
    assert_eq!(third.get("/api/v1/me").await.status, 200);
    let changed = v
        .submit(
            "/settings/",
            &[
                ("old_password", PASSWORD),
                ("new_password1", "another-long-password"),
                ("new_password2", "another-long-password"),
            ],
        )
        .await;
    changed.assert_redirect("/");
    third.get("/api/v1/me").await.assert_problem(401);
    // And so does a deactivation in the admin panel, for good.
    let after = Api::new(&app, &make_token(&v, "after", "write", "30").await);
    assert_eq!(after.get("/api/v1/me").await.status, 200);
    let staff = app.staff_visitor("staff@example.org").await;
    for value in ["off", "on"] {
        staff
            .submit_via(
                &format!("/admin/users/1/active/?value={value}"),
                "/admin/users/1/active/",
                &[("value", value)],
            )
            .await
            .assert_redirect("/admin/users/1/");
        after.get("/api/v1/me").await.assert_problem(401);
    }
}

async fn bad_bodies_and_fields_are_problems_and_change_nothing(app: TestApp) {
    let (_, api) = person(&app, "a@example.org").await;
    let missing = api.post("/api/v1/notes", json!({"name": "  "})).await;
    missing.assert_problem(400);
    let invalid = api.post("/api/v1/notes", json!({"name": " ", "text": " "})).await;
    invalid.assert_problem(422);
    assert_eq!(invalid.json["type"], "/api/docs#validation");
    let fields: Vec<&str> = invalid.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "text"]);
    let nul = api
        .post("/api/v1/notes", json!({"name": "n", "text": "a\u{0}b"}))
        .await;
    nul.assert_problem(422);
    assert_eq!(nul.json["errors"][0]["field"], "text");
    let long = api
        .post("/api/v1/notes", json!({"name": "x".repeat(101), "text": "t"}))
        .await;
    long.assert_problem(422);
    api.post(
        "/api/v1/notes",
        json!({"name": "n", "text": "t", "colour": "red"}),
    )
    .await
    .assert_problem(400);
    api.post("/api/v1/notes", json!({"name": 5, "text": "t"}))
        .await
        .assert_problem(400);
    api.post("/api/v1/notes", json!([1, 2])).await.assert_problem(400);
    api.send(
        api.request(Method::POST, "/api/v1/notes")
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await
    .assert_problem(400);
    api.send(
        api.request(Method::POST, "/api/v1/notes")
            .header("content-type", "text/plain")
            .body("name=n&text=t"),
    )
    .await
    .assert_problem(415);
    // A body announced over the limit is refused before it is read, as a problem.
    let head = format!(
        "POST /api/v1/notes HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        api.token,
        folio_web::app::MAX_BODY_BYTES + 1
    );
    let answer = raw_exchange(&app, &head).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert_eq!(app.count("notes").await, 0);
}

async fn lists_page_with_links_and_totals(app: TestApp) {
    let (_, api) = person(&app, "a@example.org").await;
    for name in ["c", "a", "e", "b", "d"] {
        api.post("/api/v1/notes", json!({"name": name, "text": "t"}))
            .await;
    }
    let first = api.get("/api/v1/notes?per_page=2&order=name").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json["total"], 5);
    assert_eq!(first.header("x-total-count"), "5");
    let names: Vec<&str> = first.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let link = first.header("link");
    assert!(
        link.contains(r#"</api/v1/notes?page=2&per_page=2&order=name>; rel="next""#),
        "{link}"
    );
    assert!(
        link.contains(r#"</api/v1/notes?page=3&per_page=2&order=name>; rel="last""#),
        "{link}"
    );
    assert!(!link.contains("rel=\"prev\""), "{link}");
    let last = api.get("/api/v1/notes?per_page=2&order=name&page=3").await;
    assert_eq!(last.json["data"][0]["name"], "e");
    assert!(!last.header("link").contains("rel=\"next\""));
    let beyond = api.get("/api/v1/notes?per_page=2&page=9").await;
    assert_eq!(beyond.status, 200);
    assert_eq!(beyond.json["data"], json!([]));
    assert_eq!(beyond.json["total"], 5);
    let newest = api.get("/api/v1/notes?order=-updated_at").await;
    assert_eq!(newest.json["data"][0]["name"], "d");
    for query in [
        "page=0",
        "page=x",
        "per_page=0",
        "per_page=501",
        "order=text",
        "order=name;drop",
        "pad=x",
        "page=1&page=2",
    ] {
        api.get(&format!("/api/v1/notes?{query}"))
            .await
            .assert_problem(400);
    }
    // Unchanged lists revalidate to 304.
    let etag = first.header("etag");
    let again = api
        .send(
            api.request(Method::GET, "/api/v1/notes?per_page=2&order=name")
                .header("if-none-match", &etag),
        )
        .await;
    assert_eq!(again.status, 304);
}

async fn pads_round_trip_and_deleting_one_deletes_its_notes(app: TestApp) {
    let (_, api) = person(&app, "a@example.org").await;
    let created = api.post("/api/v1/pads", json!({"name": "Work"})).await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_i64().unwrap();
    let path = format!("/api/v1/pads/{id}");
    assert_eq!(created.header("location"), path);
    for name in ["one", "two"] {
        let note = api
            .post("/api/v1/notes", json!({"name": name, "text": "t", "pad_id": id}))
            .await;
        assert_eq!(note.json["pad_name"], "Work");
    }
    api.post("/api/v1/notes", json!({"name": "loose", "text": "t"}))
        .await;
    assert_eq!(api.get(&format!("/api/v1/notes?pad={id}")).await.json["total"], 2);
    let etag = created.header("etag");
    let renamed = api.patch(&path, json!({"name": "Office"}), Some(&etag)).await;
    assert_eq!(renamed.json["name"], "Office");
    api.patch(&path, json!({"name": "Stale"}), Some(&etag))
        .await
        .assert_problem(412);
    api.patch(&path, json!({"name": ""}), None)
        .await
        .assert_problem(422);
    assert_eq!(api.get("/api/v1/pads").await.json["data"][0]["name"], "Office");
    // A stale delete changes nothing, notes included; the current version goes through (the
    // statement itself is conditional on the name read).
    api.delete(&path, Some(&etag)).await.assert_problem(412);
    assert_eq!(app.count("notes").await, 3);
    let current = api.get(&path).await.header("etag");
    assert_eq!(api.delete(&path, Some(&current)).await.status, 204);
    assert_eq!(app.count("pads").await, 0);
    assert_eq!(app.count("notes").await, 1, "the pad's notes went with it");
}

async fn a_browser_session_works_with_a_csrf_header_on_writes(app: TestApp) {
    let v = app.visitor();
    v.register("a@example.org").await;
    let me = v.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    let me: Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["credential"], "session");
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let body = json!({"name": "n", "text": "t"}).to_string();
    let without = v
        .send(
            v.request(Method::POST, "/api/v1/notes")
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
    assert_eq!(without.status, 403, "{}", without.body);
    let wrong = v
        .send(
            v.request(Method::POST, "/api/v1/notes")
                .header("content-type", "application/json")
                .header("x-csrf-token", "0".repeat(64))
                .body(body.clone()),
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(app.count("notes").await, 0);
    let with = v
        .send(
            v.request(Method::POST, "/api/v1/notes")
                .header("content-type", "application/json")
                .header("x-csrf-token", &csrf)
                .body(body),
        )
        .await;
    assert_eq!(with.status, 201, "{}", with.body);
    // Signed out, the session is no credential.
    v.submit("/signout/", &[]).await.assert_redirect("/");
    assert_eq!(v.get("/api/v1/me").await.status, 401);
}

async fn each_token_is_rate_limited(app: TestApp) {
    let limited = TestApp::spawn_with(app.backend(), |config| {
        config.rate_limits = config.rate_limits.with_api_per_minute(3);
    })
    .await
    .unwrap();
    let v = limited.visitor();
    v.register("a@example.org").await;
    let one = Api::new(&limited, &make_token(&v, "one", "read", "7").await);
    let two = Api::new(&limited, &make_token(&v, "two", "read", "7").await);
    for left in [2, 1, 0] {
        let answer = one.get("/api/v1/me").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-policy"), r#""per-caller";q=3;w=60"#);
        assert!(
            answer
                .header("ratelimit")
                .starts_with(&format!("\"per-caller\";r={left};t="))
        );
    }
    let refused = one.get("/api/v1/me").await;
    refused.assert_problem(429);
    let retry: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        two.get("/api/v1/me").await.status,
        200,
        "each token has its own limit"
    );
    limited.finish().await;
}

async fn the_openapi_document_and_docs_are_served(app: TestApp) {
    let v = app.visitor();
    let spec = v.get("/api/openapi.json").await;
    assert_eq!(spec.status, 200);
    let spec: Value = serde_json::from_str(&spec.body).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/v1/me", "get"),
        ("/api/v1/notes", "get"),
        ("/api/v1/notes", "post"),
        ("/api/v1/notes/{id}", "patch"),
        ("/api/v1/pads/{id}", "delete"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path}");
    }
    assert_eq!(spec["components"]["securitySchemes"]["token"]["scheme"], "bearer");
    let docs = v.get("/api/docs").await;
    assert_eq!(docs.status, 200);
    docs.assert_contains("<code>PATCH /api/v1/notes/{id}</code>");
    docs.assert_contains("id=\"schema-NewNote\"");
    // The problem type of a validation error points at its explanation there.
    docs.assert_contains("id=\"validation\"");
    assert!(!docs.body.contains("<script"), "no script, nothing from a CDN");
}

/// Two instances on one PostgreSQL and one Redis, each with the token cached: revoking it
/// through one instance's Settings ends it on the other within a round trip through Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_instance_stops_working_on_the_other() {
    use folio_testkit::{Backend, Cache};
    let Some(app) = TestApp::spawn_with_cache(Backend::Postgres, Cache::Redis, |_| {}).await else {
        return;
    };
    let other = app.another_instance().await;
    let (v, api) = person(&app, "a@example.org").await;
    let there = Api::new(&other, &api.token);
    for client in [&api, &there] {
        assert_eq!(client.get("/api/v1/me").await.status, 200);
        assert_eq!(
            client.get("/api/v1/me").await.status,
            200,
            "served from the cache"
        );
    }
    let id = folio_db::queries::api_tokens::list_for_user(app.db(), 1)
        .await
        .unwrap()[0]
        .id;
    v.submit_via(
        "/settings/tokens/",
        &format!("/settings/tokens/{id}/revoke/"),
        &[],
    )
    .await
    .assert_redirect("/settings/tokens/");
    api.get("/api/v1/me").await.assert_problem(401);
    let mut refused = false;
    for _ in 0..50 {
        if there.get("/api/v1/me").await.status == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "the other instance still accepts the revoked token after a second"
    );
    other.finish().await;
    app.finish().await;
}

/// A staff member with a read and write token.
async fn staff_person(app: &TestApp, email: &str) -> Api {
    let v = app.staff_visitor(email).await;
    Api::new(app, &make_token(&v, "publishing", "write", "30").await)
}

/// A category made through the API; its id.
async fn new_category(staff: &Api, name: &str) -> i64 {
    let made = staff.post("/api/v1/categories", json!({"name": name})).await;
    assert_eq!(made.status, 201, "{}", made.json);
    made.json["id"].as_i64().unwrap()
}

async fn new_item(staff: &Api, category: i64, title: &str, status: &str) -> Value {
    let body = json!({"title": title, "category_id": category, "summary": "In brief", "body": "# Hello\n\nText.", "status": status});
    let made = staff.post("/api/v1/items", body).await;
    assert_eq!(made.status, 201, "{}", made.json);
    made.json
}

async fn published_content_is_public_and_drafts_are_staff_only(app: TestApp) {
    let staff = staff_person(&app, "editor@example.org").await;
    let (_, reader) = person(&app, "reader@example.org").await;
    let category = new_category(&staff, "Field notes").await;
    let published = new_item(&staff, category, "Out now", "published").await;
    let draft = new_item(&staff, category, "Not yet", "draft").await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["url"], "/site/items/field-notes/out-now/");
    assert!(
        published["body_html"]
            .as_str()
            .unwrap()
            .contains("<h1>Hello</h1>")
    );

    // Anyone: the published item only, cacheable by shared caches, with an ETag.
    let list = reader.get_anonymously("/api/v1/items", None).await;
    assert_eq!(list.status, 200, "{}", list.json);
    assert_eq!(list.header("cache-control"), "public, max-age=60");
    assert_eq!(list.json["total"], 1);
    assert_eq!(list.json["data"][0]["title"], "Out now");
    let etag = list.header("etag");
    let again = reader.get_anonymously("/api/v1/items", Some(&etag)).await;
    assert_eq!(again.status, 304);
    let id = |item: &Value| item["id"].as_i64().unwrap();
    let hidden = reader
        .get_anonymously(&format!("/api/v1/items/{}", id(&draft)), None)
        .await;
    hidden.assert_problem(404);
    let categories = reader.get_anonymously("/api/v1/categories", None).await;
    assert_eq!(categories.json["data"][0]["item_count"], 1, "{}", categories.json);
    assert_eq!(categories.json["data"][0]["url"], "/site/items/field-notes/");

    // A signed-in reader who is not staff: the same, kept private; drafts stay hidden.
    let theirs = reader.get("/api/v1/items?status=draft").await;
    assert_eq!(
        (theirs.status.as_u16(), theirs.json["total"].clone()),
        (200, json!(0))
    );
    assert_eq!(theirs.header("cache-control"), "private, no-cache");
    reader
        .get(&format!("/api/v1/items/{}", id(&draft)))
        .await
        .assert_problem(404);

    // Staff see drafts, and filter by status and category.
    let drafts = staff
        .get(&format!("/api/v1/items?status=draft&category={category}"))
        .await;
    assert_eq!(drafts.json["total"], 1, "{}", drafts.json);
    assert_eq!(drafts.json["data"][0]["title"], "Not yet");
    assert_eq!(staff.get("/api/v1/items?status=all").await.json["total"], 2);
    assert_eq!(
        staff.get(&format!("/api/v1/items/{}", id(&draft))).await.status,
        200
    );
    reader
        .get("/api/v1/items?status=secret")
        .await
        .assert_problem(400);
    reader.get("/api/v1/items?category=x").await.assert_problem(400);

    // Staff status is read from the database, not the token's cached owner: demoted, the
    // drafts are gone on the next request.
    app.set_staff("editor@example.org", false).await;
    staff
        .get(&format!("/api/v1/items/{}", id(&draft)))
        .await
        .assert_problem(404);
}

async fn staff_change_content_with_the_admins_rules_audit_and_notifications(app: TestApp) {
    let staff = staff_person(&app, "editor@example.org").await;
    let (_, reader) = person(&app, "reader@example.org").await;
    app.seed_subscribers("fan", 2, true).await;

    // Not staff, or a read-only staff token: refused, nothing written.
    reader
        .post("/api/v1/categories", json!({"name": "Mine"}))
        .await
        .assert_problem(403);
    let staff_visitor_token = {
        let v = app.visitor();
        v.sign_in("editor@example.org", PASSWORD).await;
        make_token(&v, "read only", "read", "30").await
    };
    Api::new(&app, &staff_visitor_token)
        .post("/api/v1/categories", json!({"name": "Mine"}))
        .await
        .assert_problem(403);
    assert_eq!(app.count("categories").await, 0);

    // The admin's validation: a taken name, a bad slug, an unknown category, a past schedule.
    let category = new_category(&staff, "Reviews").await;
    let taken = staff.post("/api/v1/categories", json!({"name": "Reviews"})).await;
    taken.assert_problem(422);
    assert_eq!(taken.json["errors"][0]["field"], "name", "{}", taken.json);
    // NUL can't be stored by PostgreSQL: refused on every database, in both text blocks.
    let nul = staff
        .post("/api/v1/categories", json!({"name": "Nul", "summary": "a\0b"}))
        .await;
    nul.assert_problem(422);
    assert_eq!(nul.json["errors"][0]["field"], "summary", "{}", nul.json);
    let nul_body = json!({"title": "Nul", "category_id": category, "summary": "S", "body": "x\0"});
    let refused = staff.post("/api/v1/items", nul_body).await;
    refused.assert_problem(422);
    assert_eq!(refused.json["errors"][0]["field"], "body", "{}", refused.json);
    // A NUL in a name never reaches the uniqueness query (PostgreSQL refused it with a 500).
    let nul_title = json!({"title": "a\0", "category_id": category, "summary": "S"});
    let refused = staff.post("/api/v1/items", nul_title).await;
    refused.assert_problem(422);
    assert_eq!(refused.json["errors"][0]["field"], "title", "{}", refused.json);
    let nul_name = staff
        .post("/api/v1/categories", json!({"name": "x\0", "slug": "x\0"}))
        .await;
    nul_name.assert_problem(422);
    let bad = staff
        .post(
            "/api/v1/items",
            json!({"title": "T", "category_id": 999_999, "summary": "S", "status": "scheduled", "publish_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    bad.assert_problem(422);
    let fields: Vec<&str> = bad.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category_id", "publish_at"], "{}", bad.json);
    assert_eq!(app.count("items").await, 0);

    // Created published: the audit log has the create and the publication, and the
    // subscribers' notification is queued in the same transaction.
    let audit_before = app.count("audit_log").await;
    let jobs_before = app.pending_jobs().await;
    let item = new_item(&staff, category, "A review", "published").await;
    let path = format!("/api/v1/items/{}", item["id"]);
    assert_eq!(app.count("audit_log").await, audit_before + 2);
    assert_eq!(app.pending_jobs().await, jobs_before + 1);
    app.run_jobs().await;
    assert_eq!(app.count("deliveries").await, 2);

    // Unpublish and publish again: audit entries, and a second notification as the admin's
    // publish action makes.
    let unpublished = staff.post(&format!("{path}/unpublish"), json!({})).await;
    assert_eq!(unpublished.json["status"], "draft", "{}", unpublished.json);
    assert_eq!(reader.get(&path).await.status, 404);
    let republished = staff.post(&format!("{path}/publish"), json!({})).await;
    assert_eq!(republished.json["status"], "published");
    assert_eq!(app.count("audit_log").await, audit_before + 4);
    assert_eq!(app.pending_jobs().await, jobs_before + 1);

    // Conditional updates: the current ETag goes through, a stale one is 412.
    let read = staff.get(&path).await;
    let etag = read.header("etag");
    let changed = staff
        .patch(&path, json!({"title": "A better review"}), Some(&etag))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.json);
    assert_eq!(changed.json["url"], "/site/items/reviews/a-review/");
    staff
        .patch(&path, json!({"title": "Lost"}), Some(&etag))
        .await
        .assert_problem(412);
    staff
        .patch(&path, json!({"views": 5}), None)
        .await
        .assert_problem(400);

    // A category with items can't go (409); its item can, then the category can.
    let category_path = format!("/api/v1/categories/{category}");
    staff.delete(&category_path, None).await.assert_problem(409);
    assert_eq!(staff.delete(&path, None).await.status, 204);
    assert_eq!(staff.delete(&category_path, None).await.status, 204);
    assert_eq!(app.count("items").await, 0);
    assert_eq!(app.count("categories").await, 0);
    assert_eq!(app.count("audit_log").await, audit_before + 7);

    // Demoted: refused at once, though the token's owner is cached.
    app.set_staff("editor@example.org", false).await;
    staff
        .post("/api/v1/categories", json!({"name": "Later"}))
        .await
        .assert_problem(403);
}

async fn images_are_uploaded_as_multipart_with_the_admins_checks(app: TestApp) {
    let staff = staff_person(&app, "editor@example.org").await;
    let category = new_category(&staff, "Photos").await;
    let item = new_item(&staff, category, "A photo", "published").await;
    let image_path = format!("/api/v1/items/{}/image", item["id"]);

    let uploaded = staff
        .put_image(&image_path, folio_testkit::fixtures::png(640, 480))
        .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.json);
    let image = &uploaded.json["image"];
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(image["alt"], "A photo");
    assert_eq!(app.count("images").await, 1);
    let src = image["src"].as_str().unwrap().to_owned();
    let fetched = reqwest::get(format!("{}{src}", app.base_url())).await.unwrap();
    assert_eq!(fetched.status(), 200, "{src}");

    // Not an image, not multipart, no file: refused, nothing changed.
    let refused = staff.put_image(&image_path, b"not an image".to_vec()).await;
    refused.assert_problem(422);
    assert_eq!(refused.json["errors"][0]["field"], "image");
    let not_multipart = staff
        .send(json_body(staff.request(Method::PUT, &image_path), &json!({})))
        .await;
    not_multipart.assert_problem(415);
    let other_part = reqwest::multipart::Form::new().text("alt", "nothing");
    staff
        .send(staff.request(Method::PUT, &image_path).multipart(other_part))
        .await
        .assert_problem(400);
    staff.put_image(&image_path, Vec::new()).await.assert_problem(422);
    assert_eq!(
        staff.get(&format!("/api/v1/items/{}", item["id"])).await.json["image"]["src"],
        src
    );

    // A category's image, then removing both.
    let category_image = format!("/api/v1/categories/{category}/image");
    let tile = staff
        .put_image(&category_image, folio_testkit::fixtures::jpeg(400, 400))
        .await;
    assert_eq!(tile.status, 200, "{}", tile.json);
    assert!(tile.json["image"].is_object());
    assert!(staff.delete(&image_path, None).await.json["image"].is_null());
    assert!(staff.delete(&category_image, None).await.json["image"].is_null());
}
