//! Health checks, redirects, the 404 page, bad requests, start-up and shutdown.

use folio_testkit::{Backend, TestApp, backend_tests, test_config};

backend_tests!(
    health_and_readiness,
    paths_without_a_trailing_slash_redirect,
    the_slash_redirect_never_leaves_the_site,
    unknown_pages_are_a_real_404,
    malformed_and_oversized_requests_are_clear_4xx,
    the_stylesheet_is_served_and_cached,
    serve_refuses_a_schema_that_is_behind,
    serve_runs_on_a_schema_a_newer_release_migrated,
);

async fn health_and_readiness(app: TestApp) {
    let v = app.visitor();
    let health = v.get("/healthz").await;
    assert_eq!((health.status.as_u16(), health.body.as_str()), (200, "ok"));
    let ready = v.get("/readyz").await;
    assert_eq!(ready.status.as_u16(), 200);
    assert!(
        ready.body.starts_with("ready\ndatabase: ok\ncache: "),
        "{}",
        ready.body
    );
}

/// Between the shutdown signal and closing its listener, an instance still answers everything,
/// but fails readiness (so the load balancer takes it out) and closes each connection after its
/// response (so no proxy keeps one that would be cut later). Then it refuses connections.
#[tokio::test]
async fn a_stopping_instance_drains_before_it_closes() {
    let drain = std::time::Duration::from_millis(1500);
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |config| config.drain = drain).await else {
        return;
    };
    let v = app.visitor();
    assert_eq!(v.get("/readyz").await.status, 200);
    assert_eq!(v.get("/site/").await.header("connection"), None);

    let signalled = std::time::Instant::now();
    app.signal_shutdown().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let ready = v.get("/readyz").await;
    assert_eq!((ready.status.as_u16(), ready.body.as_str()), (503, "draining\n"));
    let page = v.get("/site/").await;
    assert_eq!(page.status, 200, "still served while draining");
    assert_eq!(page.header("connection").as_deref(), Some("close"));
    assert!(signalled.elapsed() < drain, "checked inside the drain period");

    tokio::time::sleep(drain).await;
    let after = reqwest::Client::new()
        .get(format!("{}/healthz", app.base_url()))
        .send()
        .await;
    assert!(
        after.is_err(),
        "the listener is closed after the drain: {after:?}"
    );
    app.finish().await;
}

async fn paths_without_a_trailing_slash_redirect(app: TestApp) {
    let v = app.visitor();
    v.get("/signin").await.assert_redirect("/signin/");
    v.get("/signin?next=/pads/1/")
        .await
        .assert_redirect("/signin/?next=/pads/1/");
    v.get("/notes/5").await.assert_redirect("/notes/5/");
    let post = v.post("/signin", &[("email", "x")]).await;
    assert_eq!(post.status, 308, "a POST keeps its method and body");
    assert_eq!(post.location(), Some("/signin/"));
}

/// `//evil.com` and `/\evil.com` once answered `308 Location: //evil.com/`, which a browser
/// follows to another host (with the method and body, for a 308).
async fn the_slash_redirect_never_leaves_the_site(app: TestApp) {
    for target in [
        "//evil.com",
        "//evil.com/x",
        "/\\evil.com",
        "/\\/evil.com",
        "/a\\b",
    ] {
        for method in ["GET", "POST"] {
            let head = format!(
                "{method} {target} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let answer = raw_exchange(app.base_url(), &head).await;
            let (head, _) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
            assert!(
                head.starts_with("HTTP/1.1 404") || head.starts_with("HTTP/1.1 400"),
                "{method} {target}: {head}"
            );
            assert!(
                !head.to_ascii_lowercase().contains("\r\nlocation:"),
                "{method} {target}: {head}"
            );
        }
    }
    // A path on this site that only lacks its slash is still redirected.
    app.visitor()
        .get("/signin//x")
        .await
        .assert_redirect("/signin//x/");
}

async fn unknown_pages_are_a_real_404(app: TestApp) {
    let v = app.visitor();
    let page = v.get("/no/such/page/").await;
    assert_eq!(page.status, 404);
    page.assert_contains("Page not found");
    page.assert_contains("<!doctype html>");
    v.register("ops@example.org").await;
    // Signed in, the 404 page still shows who you are.
    v.get("/no/such/page/").await.assert_contains("ops@example.org");
}

async fn malformed_and_oversized_requests_are_clear_4xx(app: TestApp) {
    let v = app.visitor();
    v.register("bad@example.org").await;
    let json = v
        .request(reqwest::Method::POST, "/pads/create/")
        .header("content-type", "application/json")
        .body("{}");
    let page = v.send(json).await;
    assert_eq!(page.status, 415);
    page.assert_contains("application/x-www-form-urlencoded");

    let token = folio_testkit::csrf_token(&v.get("/pads/create/").await.body).unwrap();
    let broken = v
        .request(reqwest::Method::POST, "/pads/create/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&name=%ZZ%"));
    let page = v.send(broken).await;
    assert!(
        page.status.is_client_error() || page.status.is_redirection(),
        "{}",
        page.status
    );

    // Announcing a body over the limit is answered 413 before the body is read.
    let head = format!(
        "POST /notes/create/ HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        folio_web::app::MAX_BODY_BYTES + 1
    );
    assert!(
        raw_exchange(app.base_url(), &head)
            .await
            .starts_with("HTTP/1.1 413")
    );

    let too_long_text = "y".repeat(folio_web::domain::NoteText::MAX_CHARS + 1);
    let page = v
        .submit("/notes/create/", &[("name", "n"), ("text", &too_long_text)])
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Ensure this note has at most");
    assert_eq!(app.count("notes").await, 0);
    let odd = v.submit("/pads/create/", &[("name", "Ünïcödé ✓ 📝")]).await;
    assert!(odd.status.is_redirection());
}

async fn the_stylesheet_is_served_and_cached(app: TestApp) {
    let v = app.visitor();
    let page = v.get("/signin/").await;
    let start = page.body.find("/static/folio.").unwrap();
    let href: String = page.body[start..].chars().take_while(|c| *c != '"').collect();
    let css = v.get(&href).await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(v.get("/static/folio.old.css").await.status, 404);
}

async fn serve_refuses_a_schema_that_is_behind(app: TestApp) {
    // A brand-new, empty database next to the app's: serving it without migrating must fail.
    let dir = tempfile::tempdir().unwrap();
    let url = match app.backend() {
        Backend::Sqlite => format!("sqlite://{}/empty.db?mode=rwc", dir.path().display()),
        _ => return, // the SQLite case covers the shared code path; servers are covered by `folio migrate` in CI
    };
    let mut config = test_config(url, dir.path(), dir.path());
    config.auto_migrate = false;
    let error = folio_testkit::build_app(config)
        .await
        .err()
        .expect("must refuse to start");
    assert!(format!("{error:#}").contains("folio migrate"), "{error:#}");
}

/// During a deploy the new release migrates first, while the release before still serves; a
/// rollback starts the release before again. Both must run on the newer (additive) schema.
async fn serve_runs_on_a_schema_a_newer_release_migrated(app: TestApp) {
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m9999_from_a_newer_release', 0)",
        )
        .await
        .unwrap();
    let status = folio_db::migrations::schema_status(app.db()).await.unwrap();
    assert!(status.pending.is_empty(), "{status:?}");
    assert_eq!(status.newer, ["m9999_from_a_newer_release"]);
    let mut config = app.config().clone();
    config.auto_migrate = false;
    let older = folio_testkit::build_app(config).await;
    assert!(
        older.is_ok(),
        "the release before must start: {:#}",
        older.err().unwrap()
    );
}

/// The sign-in page as a person gets it (the random CSRF token and the stylesheet's content
/// hash replaced), so that any change to what people see is a reviewed snapshot change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_page_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let page = app.visitor().get("/signin/?next=/pads/1/").await;
    let token = folio_testkit::csrf_token(&page.body).unwrap();
    let css = folio_web::layout::CSS_URL.as_str();
    let html = page
        .body
        .replace(&token, "[csrf-token]")
        .replace(css, "[stylesheet]");
    insta::assert_snapshot!(html);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let addr = app.base_url().trim_start_matches("http://").to_owned();
    // A request whose body is still arriving when the shutdown signal comes.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = "email=a%40b.c&password=x";
    let head = format!(
        "POST /signin/ HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let stopping = tokio::spawn({
        let app = app.clone();
        async move { app.finish().await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "the server must wait for the request in flight"
    );
    // New connections are no longer accepted.
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());

    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 403"),
        "the request got its answer: {response}"
    );
    stopping.await.unwrap();
}

/// Sends raw bytes and reads the whole answer (for requests reqwest would not send).
async fn raw_exchange(base_url: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}
