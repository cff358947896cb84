//! `/app/`: the browser app's build served by the binary (entry page for every app path,
//! hashed assets cached for good), and the page that says how to build it when there is none.

use folio_testkit::{Backend, TestApp};

/// A build as Vite lays it out: the entry page and one hashed script.
fn fake_build() -> tempfile::TempDir {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Notes</title><script type=\"module\" src=\"/app/assets/index-abc123.js\"></script>",
    )
    .unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(dist.path().join("assets/index-abc123.js"), "console.log('app')").unwrap();
    std::fs::write(dist.path().join("robots.txt"), "User-agent: *").unwrap();
    dist
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.base_url()))
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_build_is_served_with_the_entry_page_for_every_app_path() {
    let dist = fake_build();
    let path = dist.path().to_owned();
    let app = TestApp::spawn_with(Backend::Sqlite, move |config| config.web_dist = path)
        .await
        .unwrap();
    for route in ["/app/", "/app/pads/3/", "/app/anything/deeper?note=5"] {
        let page = get(&app, route).await;
        assert_eq!(page.status(), 200, "{route}");
        assert_eq!(header(&page, "cache-control"), "no-cache", "{route}");
        assert!(header(&page, "content-type").starts_with("text/html"), "{route}");
        assert!(
            page.text().await.unwrap().contains("/app/assets/index-abc123.js"),
            "{route}"
        );
    }
    let script = get(&app, "/app/assets/index-abc123.js").await;
    assert_eq!(script.status(), 200);
    assert_eq!(
        header(&script, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&script, "content-type").starts_with("text/javascript"));
    // The security headers of every page apply (the app needs no inline script).
    assert!(header(&script, "content-security-policy").contains("script-src 'self'"));
    assert_eq!(
        get(&app, "/app/robots.txt").await.text().await.unwrap(),
        "User-agent: *"
    );
    // A missing asset is a 404, never the entry page in its place; nothing leaves the build.
    assert_eq!(get(&app, "/app/assets/gone-999.js").await.status(), 404);
    for escape in [
        "/app/assets/..%2F..%2Fetc%2Fpasswd",
        "/app/..%2Findex.html",
        "/app/assets/.env",
    ] {
        let answer = get(&app, escape).await;
        assert!(!answer.text().await.unwrap().contains("root:"), "{escape}");
    }
    assert_eq!(get(&app, "/app").await.status(), 308);
}

#[tokio::test]
async fn without_a_build_the_page_says_how_to_make_one() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let page = get(&app, "/app/").await;
    assert_eq!(page.status(), 404);
    let body = page.text().await.unwrap();
    assert!(body.contains("npm ci &amp;&amp; npm run build"), "{body}");
    assert_eq!(get(&app, "/app/assets/index-abc123.js").await.status(), 404);
}
