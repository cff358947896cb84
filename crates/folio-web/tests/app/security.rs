//! CSRF, cross-origin protection, cookies, headers, and what an anonymous visit stores.

use folio_testkit::{PASSWORD, TestApp, backend_tests, csrf_token};

backend_tests!(
    post_without_a_valid_token_is_403_and_changes_nothing,
    a_token_from_another_visitor_is_refused,
    cross_site_posts_are_refused,
    an_anonymous_page_view_stores_nothing,
    cookies_are_http_only_and_same_site,
    every_response_has_security_headers,
    nul_characters_are_refused_at_the_edge,
);

async fn post_without_a_valid_token_is_403_and_changes_nothing(app: TestApp) {
    let anonymous = app.visitor();
    anonymous.get("/signup/").await;
    let signup = [
        ("email", "pat@example.org"),
        ("password", PASSWORD),
        ("repeat_password", PASSWORD),
    ];
    let page = anonymous.post("/signup/", &signup).await;
    assert_eq!(page.status, 403);
    page.assert_contains("security token");
    assert_eq!(app.count("users").await, 0);

    let v = app.visitor();
    v.register("pat@example.org").await;
    let pad = v.create_pad("Work").await;
    let note = v.create_note("Plan", "text", Some(pad)).await;
    for (path, fields) in [
        ("/pads/create/".to_owned(), vec![("name", "Sneaky")]),
        (format!("/pads/{pad}/edit/"), vec![("name", "Renamed")]),
        (format!("/pads/{pad}/delete/"), vec![]),
        ("/notes/create/".to_owned(), vec![("name", "n"), ("text", "t")]),
        (format!("/notes/{note}/edit/"), vec![("name", "n"), ("text", "t")]),
        (format!("/notes/{note}/delete/"), vec![]),
        (
            "/settings/".to_owned(),
            vec![
                ("old_password", PASSWORD),
                ("new_password1", "x-new-pass"),
                ("new_password2", "x-new-pass"),
            ],
        ),
    ] {
        assert_eq!(v.post(&path, &fields).await.status, 403, "{path} without a token");
        let mut forged = fields.clone();
        forged.push(("csrf_token", "forged"));
        assert_eq!(
            v.post(&path, &forged).await.status,
            403,
            "{path} with a forged token"
        );
    }
    assert_eq!(app.count("pads").await, 1);
    assert_eq!(app.count("notes").await, 1);
    v.get(&format!("/pads/{pad}/")).await.assert_contains("Work");
    v.get(&format!("/notes/{note}/")).await.assert_contains("Plan");
    app.visitor()
        .sign_in("pat@example.org", PASSWORD)
        .await
        .assert_redirect("/");
}

async fn a_token_from_another_visitor_is_refused(app: TestApp) {
    let mallory = app.visitor();
    mallory.register("mallory@example.org").await;
    let mallorys_token = csrf_token(&mallory.get("/pads/create/").await.body).unwrap();

    let victim = app.visitor();
    victim.register("victim@example.org").await;
    let page = victim
        .post(
            "/pads/create/",
            &[("name", "Planted"), ("csrf_token", &mallorys_token)],
        )
        .await;
    assert_eq!(page.status, 403);

    // An anonymous token doesn't work for a signed-in session either.
    let anonymous_token = csrf_token(&app.visitor().get("/signin/").await.body).unwrap();
    assert_eq!(
        victim
            .post(
                "/pads/create/",
                &[("name", "Planted"), ("csrf_token", &anonymous_token)]
            )
            .await
            .status,
        403
    );
    assert_eq!(app.count("pads").await, 0);
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let v = app.visitor();
    v.register("quinn@example.org").await;
    let token = csrf_token(&v.get("/pads/create/").await.body).unwrap();
    let request = v
        .request(reqwest::Method::POST, "/pads/create/")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "x"), ("csrf_token", token.as_str())]);
    assert_eq!(v.send(request).await.status, 403);
    let request = v
        .request(reqwest::Method::POST, "/pads/create/")
        .header("origin", "https://evil.example")
        .form(&[("name", "x"), ("csrf_token", token.as_str())]);
    assert_eq!(v.send(request).await.status, 403);
    assert_eq!(app.count("pads").await, 0);
    // Same-origin passes.
    let request = v
        .request(reqwest::Method::POST, "/pads/create/")
        .header("sec-fetch-site", "same-origin")
        .form(&[("name", "x"), ("csrf_token", token.as_str())]);
    assert!(v.send(request).await.status.is_redirection());
}

async fn an_anonymous_page_view_stores_nothing(app: TestApp) {
    let v = app.visitor();
    for path in ["/signin/", "/signup/", "/forgot-password/", "/", "/nope/"] {
        v.get(path).await;
    }
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(v.cookie("folio_session"), None);
}

async fn cookies_are_http_only_and_same_site(app: TestApp) {
    let v = app.visitor();
    v.sign_up("rae@example.org", PASSWORD).await;
    let form = v.get("/signin/").await;
    let token = csrf_token(&form.body).unwrap();
    let page = v
        .post(
            "/signin/",
            &[
                ("email", "rae@example.org"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    let cookies = page.set_cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("folio_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain http test server: {session}");
}

async fn every_response_has_security_headers(app: TestApp) {
    let v = app.visitor();
    for path in ["/signin/", "/", "/nope/", "/healthz"] {
        let page = v.get(path).await;
        let header = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(
            header("content-security-policy").contains("default-src 'self'"),
            "{path}"
        );
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert!(!header("x-request-id").is_empty(), "{path}");
        assert!(
            header("strict-transport-security").is_empty(),
            "no HSTS on http: {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_sites_get_hsts_and_secure_cookies() {
    let app = TestApp::spawn_with(folio_testkit::Backend::Sqlite, |config| {
        config.base_url = "https://notes.example.org".into();
    })
    .await
    .unwrap();
    let v = app.visitor();
    let page = v.get("/signin/").await;
    assert!(page.headers.get("strict-transport-security").is_some());
    let csrf_cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("folio_csrf="))
        .unwrap();
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    app.finish().await;
}

/// A NUL anywhere a visitor can put one: once a 500 on PostgreSQL (a slug in a public URL, an
/// admin search, the contact form), stored on SQLite. Now a clear 400 on every backend, and
/// nothing is written.
async fn nul_characters_are_refused_at_the_edge(app: TestApp) {
    let staff = app.staff_visitor("nul-staff@example.org").await;
    let category = app.create_category(&staff, "News").await;
    app.create_item(&staff, category, "First", true).await;
    let anonymous = app.visitor();
    for path in [
        "/site/items/ne%00ws/",
        "/site/items/news/fir%00st/",
        "/?order=%00",
        "/notes/%00/edit/",
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        page.assert_contains("NUL character");
    }
    // The API reads its parameters into types that refuse NUL, with its documented statuses.
    let api = anonymous.get("/api/v1/items?status=a%00").await;
    assert_eq!(api.status, 400);
    assert_eq!(anonymous.get("/api/v1/items/%00").await.status, 404);
    for path in [
        "/admin/items/?q=a%00b",
        "/admin/subscribers/?q=%00",
        "/admin/users/?q=%00",
        "/admin/audit-log/?q=%00",
        "/admin/audit-log/?action=drop&object_type=%00",
    ] {
        assert_eq!(staff.get(path).await.status, 400, "{path}");
    }

    let contact = [
        ("name", "Nul"),
        ("email", "nul@example.org"),
        ("subject", "Hello"),
        ("message", "a\0b"),
    ];
    let page = anonymous.submit("/site/contact/", &contact).await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_contains("NUL character");
    assert_eq!(app.count("contact_messages").await, 0);

    let v = app.visitor();
    v.register("nul@example.org").await;
    for (path, fields) in [
        ("/notes/create/", vec![("name", "a\0"), ("text", "t")]),
        ("/notes/create/", vec![("name", "n"), ("text", "\0")]),
        ("/pads/create/", vec![("name", "p\0")]),
    ] {
        assert_eq!(v.submit(path, &fields).await.status, 400, "{path} {fields:?}");
    }
    assert_eq!(app.count("notes").await, 0);
    assert_eq!(app.count("pads").await, 0);
}
