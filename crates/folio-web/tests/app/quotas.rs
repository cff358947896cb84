//! What one account may store and how fast it may write. Before these, 8 connections posting
//! 262,000-character notes wrote 7,432 notes in 10 s from one free account.

use folio_testkit::{Backend, TestApp, Visitor};
use folio_web::security::quotas::Quotas;
use reqwest::Method;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

/// Small quotas, so a test reaches them in a few writes.
const SMALL: Quotas = Quotas {
    notes: 3,
    pads: 2,
    text_bytes: 1_000,
    sessions: 3,
};

async fn each_backend(test: impl AsyncFn(TestApp)) {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(app) = TestApp::spawn_with(backend, |config| config.quotas = SMALL).await else {
            continue;
        };
        test(app.clone()).await;
        app.finish().await;
    }
}

/// Whether a one-letter note named `name` is saved through the form.
async fn saves_note(v: &Visitor, name: &str) -> bool {
    v.submit("/notes/create/", &[("name", name), ("text", "t")])
        .await
        .status
        .is_redirection()
}

async fn create_note(v: &Visitor, name: &str, text_bytes: usize) -> folio_testkit::Page {
    let text = "x".repeat(text_bytes);
    v.submit("/notes/create/", &[("name", name), ("text", text.as_str())])
        .await
}

/// A JSON write through the API with the browser's session and its CSRF token.
async fn api_write(v: &Visitor, method: Method, path: &str, body: &Value) -> (u16, Value) {
    let me: Value = serde_json::from_str(&v.get("/api/v1/me").await.body).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let page = v
        .send(
            v.request(method, path)
                .header("content-type", "application/json")
                .header("x-csrf-token", csrf)
                .body(body.to_string()),
        )
        .await;
    (
        page.status.as_u16(),
        serde_json::from_str(&page.body).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_pads_and_text_stop_at_the_account_quotas() {
    each_backend(async |app: TestApp| {
        let v = app.visitor();
        v.register("full@example.org").await;

        // Text: 1,000 bytes in all. 600 + 300 fit; 200 more do not, from the form or the API.
        for (name, bytes) in [("one", 600), ("two", 300)] {
            assert!(create_note(&v, name, bytes).await.status.is_redirection());
        }
        let refused = create_note(&v, "three", 200).await;
        assert_eq!(refused.status, 422);
        refused.assert_contains("over the 1 MB one account may keep");
        let (status, problem) = api_write(
            &v,
            Method::POST,
            "/api/v1/notes",
            &json!({"name": "three", "text": "y".repeat(200)}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "text", "{problem}");
        assert_eq!(app.count("notes").await, 2);

        // Shrinking a note always works, and makes room.
        let first = folio_db::entities::note::Entity::find()
            .order_by_asc(folio_db::entities::note::Column::Id)
            .one(app.db())
            .await
            .unwrap()
            .unwrap()
            .id;
        let (status, _) = api_write(
            &v,
            Method::PATCH,
            &format!("/api/v1/notes/{first}"),
            &json!({"text": "short"}),
        )
        .await;
        assert_eq!(status, 200);
        // Growing one past the quota does not.
        let (status, problem) = api_write(
            &v,
            Method::PATCH,
            &format!("/api/v1/notes/{first}"),
            &json!({"text": "z".repeat(800)}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");

        // Notes: three at most.
        let (status, _) = api_write(
            &v,
            Method::POST,
            "/api/v1/notes",
            &json!({"name": "three", "text": "t"}),
        )
        .await;
        assert_eq!(status, 201);
        let refused = v
            .submit("/notes/create/", &[("name", "four"), ("text", "t")])
            .await;
        assert_eq!(refused.status, 422);
        refused.assert_contains("You have 3 notes, the most one account may keep");
        let (status, problem) = api_write(
            &v,
            Method::POST,
            "/api/v1/notes",
            &json!({"name": "four", "text": "t"}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
        assert_eq!(app.count("notes").await, 3);

        // Pads: two at most.
        assert!(
            v.submit("/pads/create/", &[("name", "a")])
                .await
                .status
                .is_redirection()
        );
        let (status, _) = api_write(&v, Method::POST, "/api/v1/pads", &json!({"name": "b"})).await;
        assert_eq!(status, 201);
        let refused = v.submit("/pads/create/", &[("name", "c")]).await;
        assert_eq!(refused.status, 422);
        refused.assert_contains("You have 2 pads");
        let (status, _) = api_write(&v, Method::POST, "/api/v1/pads", &json!({"name": "c"})).await;
        assert_eq!(status, 422);
        assert_eq!(app.count("pads").await, 2);

        // Another account has its own room.
        let other = app.visitor();
        other.register("other@example.org").await;
        assert!(saves_note(&other, "mine").await);
    })
    .await;
}

/// Production's write rate: 120 note or pad writes a minute per account, from pages and API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_rate_limited_per_account() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.rate_limits = config.rate_limits.with_writes_per_minute(5);
    })
    .await
    .unwrap();
    let v = app.visitor();
    v.register("fast@example.org").await;
    for i in 0..5 {
        assert!(saves_note(&v, &format!("n{i}")).await);
    }
    let limited = v
        .submit("/notes/create/", &[("name", "six"), ("text", "t")])
        .await;
    assert_eq!(limited.status, 429);
    limited.assert_contains("saving faster than Folio allows");
    assert!(limited.header("retry-after").is_some());
    let (status, _) = api_write(
        &v,
        Method::POST,
        "/api/v1/notes",
        &json!({"name": "six", "text": "t"}),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(app.count("notes").await, 5);
    // Someone else writes on.
    let other = app.visitor();
    other.register("slow@example.org").await;
    assert!(saves_note(&other, "mine").await);
    app.finish().await;
}
