//! Sign up, sign in, sign out, settings.

use folio_testkit::{PASSWORD, TestApp, backend_tests};

backend_tests!(
    sign_up_then_sign_in,
    sign_up_requires_every_field_and_keeps_the_email,
    sign_up_rejects_invalid_email_short_and_mismatched_passwords,
    sign_up_refuses_a_taken_email_whatever_its_case,
    sign_up_refuses_a_look_alike_of_an_existing_email,
    sign_in_with_wrong_password_or_unknown_email_fails,
    sign_in_follows_a_local_next_only,
    sign_out_ends_the_session,
    sign_out_takes_a_post_with_the_form_token,
    sign_in_rotates_the_session_id,
    header_shows_who_is_signed_in,
    settings_change_the_password_for_real,
    settings_validate_every_field,
    password_change_ends_other_sessions,
    account_redirects_to_settings,
);

async fn sign_up_then_sign_in(app: TestApp) {
    let ann = app.visitor();
    ann.sign_up("ann@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    let signin = ann.get("/signin/").await;
    signin.assert_contains("Account is created. Now you can sign in.");
    // Shown once, then gone.
    ann.get("/signin/").await.assert_lacks("Account is created");

    ann.sign_in("ann@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    let home = ann.get("/").await;
    assert_eq!(home.status, 200);
    home.assert_contains("All notes <span class=\"count\">(0)</span>");
    home.assert_contains("Create your first note.");
}

async fn sign_up_requires_every_field_and_keeps_the_email(app: TestApp) {
    let v = app.visitor();
    let page = v.submit("/signup/", &[]).await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.body.matches("This field is required.").count(),
        3,
        "{}",
        page.body
    );

    let page = v
        .submit(
            "/signup/",
            &[("email", "kept@example.org"), ("password", "typed-password")],
        )
        .await;
    page.assert_contains("value=\"kept@example.org\"");
    page.assert_lacks("typed-password");
    assert_eq!(app.count("users").await, 0);
}

async fn sign_up_rejects_invalid_email_short_and_mismatched_passwords(app: TestApp) {
    let v = app.visitor();
    let page = v
        .submit(
            "/signup/",
            &[
                ("email", "not-an-email"),
                ("password", PASSWORD),
                ("repeat_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Enter a valid email address.");

    let page = v
        .submit(
            "/signup/",
            &[
                ("email", "a@example.org"),
                ("password", PASSWORD),
                ("repeat_password", "different-pass"),
            ],
        )
        .await;
    page.assert_contains("Your passwords do not match");
    assert!(page.body.find("Your passwords do not match") > page.body.find("id=\"id_repeat_password\""));

    let page = v
        .submit(
            "/signup/",
            &[
                ("email", "a@example.org"),
                ("password", "short"),
                ("repeat_password", "short"),
            ],
        )
        .await;
    page.assert_contains("This password is too short");
    assert_eq!(app.count("users").await, 0);
}

async fn sign_up_refuses_a_taken_email_whatever_its_case(app: TestApp) {
    let v = app.visitor();
    v.sign_up("bob@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    let page = v.sign_up("BOB@Example.org", PASSWORD).await;
    assert_eq!(page.status, 422);
    page.assert_contains("User with this email is already signed up");
    assert_eq!(app.count("users").await, 1);
    // Sign-in is case-insensitive too.
    v.sign_in("Bob@EXAMPLE.org", PASSWORD).await.assert_redirect("/");
}

/// `pаypal@…` with a Cyrillic `а`, or `rnary@…` beside `mary@…`, reads as the existing
/// account's address: refused, so no one can pose as another account to staff or to the
/// people they share with. A full-width spelling is the same address after NFKC.
async fn sign_up_refuses_a_look_alike_of_an_existing_email(app: TestApp) {
    let v = app.visitor();
    v.sign_up("paypal@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    v.sign_up("mary@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    for look_alike in [
        "p\u{430}ypal@example.org",
        "rnary@example.org",
        "PAYPAL@EXAMPLE.0RG",
    ] {
        let page = v.sign_up(look_alike, PASSWORD).await;
        assert_eq!(page.status, 422, "{look_alike}: {}", page.body);
        page.assert_contains("looks the same as the address of an account already signed up");
    }
    let full_width = v
        .sign_up(
            "\u{ff50}\u{ff41}\u{ff59}\u{ff50}\u{ff41}\u{ff4c}@example.org",
            PASSWORD,
        )
        .await;
    assert_eq!(full_width.status, 422);
    full_width.assert_contains("User with this email is already signed up");
    assert_eq!(app.count("users").await, 2);
    // An address that merely resembles one is fine.
    v.sign_up("paypals@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    assert_eq!(app.count("users").await, 3);

    // Rows written without a key (by the release before this one) get it from the sweep.
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared("UPDATE users SET email_lookalike_key = NULL")
        .await
        .unwrap();
    assert_eq!(
        v.sign_up("rnary@example.org", PASSWORD).await.status,
        303,
        "unchecked without keys"
    );
    let filled = folio_db::queries::users::fill_lookalike_keys(app.db())
        .await
        .unwrap();
    assert_eq!(filled, 3, "the three rows from before; the new one has its key");
    let page = v.sign_up("p\u{430}ypals@example.org", PASSWORD).await;
    assert_eq!(page.status, 422, "{}", page.body);
}

async fn sign_in_with_wrong_password_or_unknown_email_fails(app: TestApp) {
    let v = app.visitor();
    v.sign_up("carol@example.org", PASSWORD).await;
    for (email, password) in [
        ("carol@example.org", "wrong-password"),
        ("nobody@example.org", PASSWORD),
    ] {
        let page = v.sign_in(email, password).await;
        assert_eq!(page.status, 422);
        page.assert_contains("Wrong email or password");
        page.assert_contains(&format!("value=\"{email}\""));
    }
    v.get("/").await.assert_redirect("/signin/?next=/");
    let page = v.submit("/signin/", &[]).await;
    assert_eq!(page.body.matches("This field is required.").count(), 2);
}

async fn sign_in_follows_a_local_next_only(app: TestApp) {
    let v = app.visitor();
    v.sign_up("dan@example.org", PASSWORD).await;
    let anonymous = v.get("/pads/create/?x=1").await;
    anonymous.assert_redirect("/signin/?next=/pads/create/%3Fx%3D1");
    // The sign-in page carries `next` into its form.
    let page = v.get("/signin/?next=/pads/create/%3Fx%3D1").await;
    page.assert_contains("name=\"next\" value=\"/pads/create/?x=1\"");

    let local = [
        ("email", "dan@example.org"),
        ("password", PASSWORD),
        ("next", "/pads/create/?x=1"),
    ];
    v.submit("/signin/", &local)
        .await
        .assert_redirect("/pads/create/?x=1");

    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let v = app.visitor();
        let fields = [
            ("email", "dan@example.org"),
            ("password", PASSWORD),
            ("next", evil),
        ];
        v.submit("/signin/", &fields).await.assert_redirect("/");
        v.get(&format!("/signin/?next={evil}"))
            .await
            .assert_lacks("evil.example");
    }
}

async fn sign_out_ends_the_session(app: TestApp) {
    let v = app.visitor();
    v.register("erin@example.org").await;
    // The header's button posts the page's form token.
    let home = v.get("/").await;
    assert!(
        home.body
            .contains(r#"<form class="signout" method="post" action="/signout/">"#),
        "{}",
        home.body
    );
    v.submit_via("/", "/signout/", &[]).await.assert_redirect("/");
    v.get("/").await.assert_redirect("/signin/?next=/");
    assert_eq!(app.count("sessions").await, 0);
    // Signed out, the address just goes home.
    v.get("/signout/").await.assert_redirect("/");
}

/// `GET /signout/` changes nothing: a prefetcher, a scanner or an `<img src="/signout/">` on
/// someone's page can't end a session. Its page's button does, and a POST without the form
/// token is refused.
async fn sign_out_takes_a_post_with_the_form_token(app: TestApp) {
    let v = app.visitor();
    v.register("ezra@example.org").await;
    let page = v.get("/signout/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign out?"), "{}", page.body);
    assert_eq!(v.get("/").await.status, 200);
    assert_eq!(v.post("/signout/", &[]).await.status, 403);
    assert_eq!(v.post("/signout/", &[("csrf_token", "forged")]).await.status, 403);
    assert_eq!(
        v.get("/").await.status,
        200,
        "a refused sign-out leaves the session"
    );
    v.submit("/signout/", &[]).await.assert_redirect("/");
    v.get("/").await.assert_redirect("/signin/?next=/");
}

async fn sign_in_rotates_the_session_id(app: TestApp) {
    let v = app.visitor();
    v.register("fay@example.org").await;
    let first = v.cookie("folio_session").expect("a session cookie");
    v.sign_in("fay@example.org", PASSWORD).await.assert_redirect("/");
    let second = v.cookie("folio_session").expect("a session cookie");
    assert_ne!(first, second);
    // The old id no longer signs anyone in.
    let replay = app.visitor();
    let page = replay
        .send(
            replay
                .request(reqwest::Method::GET, "/")
                .header("cookie", format!("folio_session={first}")),
        )
        .await;
    page.assert_redirect("/signin/?next=/");
}

async fn header_shows_who_is_signed_in(app: TestApp) {
    let v = app.visitor();
    let anonymous = v.get("/signin/").await;
    anonymous.assert_contains(">Sign up<");
    anonymous.assert_contains(">Sign in<");
    v.register("gus@example.org").await;
    let home = v.get("/").await;
    home.assert_contains("gus@example.org");
    home.assert_contains(">Account settings<");
    home.assert_contains(">Sign out<");
    home.assert_contains("My pads");
    home.assert_contains("No pads");
    home.assert_contains("New pad");
}

async fn settings_change_the_password_for_real(app: TestApp) {
    let v = app.visitor();
    v.register("hal@example.org").await;
    let fields = [
        ("old_password", PASSWORD),
        ("new_password1", "brand-new-secret"),
        ("new_password2", "brand-new-secret"),
    ];
    v.submit("/settings/", &fields).await.assert_redirect("/");
    v.get("/")
        .await
        .assert_contains("Password is successfully changed");
    // Still signed in here.
    assert_eq!(v.get("/").await.status, 200);

    let other = app.visitor();
    assert_eq!(other.sign_in("hal@example.org", PASSWORD).await.status, 422);
    other
        .sign_in("hal@example.org", "brand-new-secret")
        .await
        .assert_redirect("/");
}

async fn settings_validate_every_field(app: TestApp) {
    let v = app.visitor();
    v.register("ida@example.org").await;
    let page = v.submit("/settings/", &[]).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.body.matches("This field is required.").count(), 3);

    let wrong_old = [
        ("old_password", "not-my-password"),
        ("new_password1", "another-secret"),
        ("new_password2", "another-secret"),
    ];
    let page = v.submit("/settings/", &wrong_old).await;
    page.assert_contains("Your old password was entered incorrectly");
    assert!(page.body.find("entered incorrectly") > page.body.find("id=\"id_old_password\""));

    let mismatch = [
        ("old_password", PASSWORD),
        ("new_password1", "another-secret"),
        ("new_password2", "other-secret"),
    ];
    let page = v.submit("/settings/", &mismatch).await;
    page.assert_contains("Your passwords do not match");
    assert!(page.body.find("do not match") > page.body.find("id=\"id_new_password2\""));
    page.assert_lacks("another-secret");

    // Nothing changed.
    app.visitor()
        .sign_in("ida@example.org", PASSWORD)
        .await
        .assert_redirect("/");
}

async fn password_change_ends_other_sessions(app: TestApp) {
    let laptop = app.visitor();
    let phone = app.visitor();
    laptop.register("jo@example.org").await;
    phone
        .sign_in("jo@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert_eq!(phone.get("/").await.status, 200);

    let fields = [
        ("old_password", PASSWORD),
        ("new_password1", "changed-secret"),
        ("new_password2", "changed-secret"),
    ];
    laptop.submit("/settings/", &fields).await.assert_redirect("/");
    phone.get("/").await.assert_redirect("/signin/?next=/");
    assert_eq!(laptop.get("/").await.status, 200);
    assert_eq!(app.count("sessions").await, 1);
}

async fn account_redirects_to_settings(app: TestApp) {
    let v = app.visitor();
    v.get("/account/").await.assert_redirect("/settings/");
    v.get("/settings/")
        .await
        .assert_redirect("/signin/?next=/settings/");
}
