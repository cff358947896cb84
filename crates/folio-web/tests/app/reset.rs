//! Password reset by emailed single-use link.

use chrono::{Duration, Utc};
use folio_db::entities::password_reset;
use folio_testkit::{Backend, PASSWORD, SmtpSink, TestApp, Visitor, backend_tests};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

backend_tests!(
    forgot_password_refuses_an_unknown_email,
    reset_link_sets_a_new_password_once,
    reset_link_expires_after_an_hour,
    reset_validates_the_new_password,
    reset_ends_every_session,
    asking_again_sends_no_second_link_while_one_is_on_its_way,
    used_and_expired_links_are_swept_after_a_day,
    a_new_password_ends_every_outstanding_link,
    garbage_reset_tokens_are_404,
    a_link_submitted_many_times_at_once_is_used_once,
);

/// Requests a reset for `email` and returns the link path from the mail.
async fn request_link(app: &TestApp, v: &Visitor, email: &str) -> String {
    v.submit("/forgot-password/", &[("email", email)])
        .await
        .assert_redirect("/signin/");
    let mail = app.mails().await.pop().expect("a reset email");
    assert_eq!(mail.to, email);
    assert!(mail.decoded.contains("Content-Type: text/plain"), "plain part");
    assert!(mail.decoded.contains("Content-Type: text/html"), "html part");
    let link = mail.link_containing("/forgot-password/").expect("a reset link");
    link.split_once("/forgot-password/")
        .map(|(_, token)| format!("/forgot-password/{token}"))
        .unwrap()
}

async fn forgot_password_refuses_an_unknown_email(app: TestApp) {
    let v = app.visitor();
    let page = v
        .submit("/forgot-password/", &[("email", "ghost@example.org")])
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("No user with given email");
    page.assert_contains("value=\"ghost@example.org\"");
    let page = v.submit("/forgot-password/", &[("email", "")]).await;
    page.assert_contains("This field is required.");
    assert!(app.mails().await.is_empty());
    assert_eq!(app.count("password_resets").await, 0);
}

async fn reset_link_sets_a_new_password_once(app: TestApp) {
    let v = app.visitor();
    v.sign_up("kim@example.org", PASSWORD).await;
    let link = request_link(&app, &v, "kim@example.org").await;
    v.get("/signin/")
        .await
        .assert_contains("New password is sent in your email inbox");

    // Until the link is used, the old password still works.
    app.visitor()
        .sign_in("kim@example.org", PASSWORD)
        .await
        .assert_redirect("/");

    let form = v.get(&link).await;
    assert_eq!(form.status, 200);
    form.assert_contains("Choose a new password");
    let fields = [
        ("new_password1", "fresh-password"),
        ("new_password2", "fresh-password"),
    ];
    v.submit(&link, &fields).await.assert_redirect("/signin/");

    app.visitor()
        .sign_in("kim@example.org", "fresh-password")
        .await
        .assert_redirect("/");
    assert_eq!(
        app.visitor().sign_in("kim@example.org", PASSWORD).await.status,
        422
    );

    // Single use.
    let again = v.get(&link).await;
    assert_eq!(again.status, 404);
    again.assert_contains("This link no longer works");
    let reuse = [
        ("new_password1", "third-password"),
        ("new_password2", "third-password"),
    ];
    assert_eq!(v.submit_via("/forgot-password/", &link, &reuse).await.status, 404);
    app.visitor()
        .sign_in("kim@example.org", "fresh-password")
        .await
        .assert_redirect("/");
}

async fn reset_link_expires_after_an_hour(app: TestApp) {
    let v = app.visitor();
    v.sign_up("lee@example.org", PASSWORD).await;
    let link = request_link(&app, &v, "lee@example.org").await;
    // Move the link's expiry into the past, as an hour passing would.
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(v.get(&link).await.status, 404);
    let fields = [
        ("new_password1", "fresh-password"),
        ("new_password2", "fresh-password"),
    ];
    assert_eq!(
        v.submit_via("/forgot-password/", &link, &fields).await.status,
        404
    );
    app.visitor()
        .sign_in("lee@example.org", PASSWORD)
        .await
        .assert_redirect("/");
}

async fn reset_validates_the_new_password(app: TestApp) {
    let v = app.visitor();
    v.sign_up("max@example.org", PASSWORD).await;
    let link = request_link(&app, &v, "max@example.org").await;
    let page = v
        .submit(
            &link,
            &[
                ("new_password1", "fresh-password"),
                ("new_password2", "other-password"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Your passwords do not match");
    let page = v
        .submit(&link, &[("new_password1", "short"), ("new_password2", "short")])
        .await;
    page.assert_contains("too short");
    // Failed attempts don't use up the link.
    assert_eq!(v.get(&link).await.status, 200);
}

async fn reset_ends_every_session(app: TestApp) {
    let signed_in = app.visitor();
    signed_in.register("ned@example.org").await;
    let v = app.visitor();
    let link = request_link(&app, &v, "ned@example.org").await;
    v.submit(
        &link,
        &[
            ("new_password1", "fresh-password"),
            ("new_password2", "fresh-password"),
        ],
    )
    .await
    .assert_redirect("/signin/");
    signed_in.get("/").await.assert_redirect("/signin/?next=/");
    assert_eq!(app.count("sessions").await, 0);
}

/// Two links asked for and the newer one redeemed: the older one once still set a password and
/// signed in. A link asked for before a password change in Settings worked too.
async fn a_new_password_ends_every_outstanding_link(app: TestApp) {
    app.visitor().sign_up("una@example.org", PASSWORD).await;
    let older = request_link(&app, &app.visitor(), "una@example.org").await;
    age_links(&app, Duration::minutes(11)).await;
    let newer = request_link(&app, &app.visitor(), "una@example.org").await;
    let fresh = [
        ("new_password1", "fresh-password"),
        ("new_password2", "fresh-password"),
    ];
    app.visitor()
        .submit(&newer, &fresh)
        .await
        .assert_redirect("/signin/");
    let stranger = app.visitor();
    assert_eq!(stranger.get(&older).await.status, 404);
    let theirs = [
        ("new_password1", "strangers-password"),
        ("new_password2", "strangers-password"),
    ];
    assert_eq!(
        stranger
            .submit_via("/forgot-password/", &older, &theirs)
            .await
            .status,
        404
    );

    let before_change = request_link(&app, &app.visitor(), "una@example.org").await;
    let owner = app.visitor();
    owner
        .sign_in("una@example.org", "fresh-password")
        .await
        .assert_redirect("/");
    let change = [
        ("old_password", "fresh-password"),
        ("new_password1", "settings-password"),
        ("new_password2", "settings-password"),
    ];
    owner.submit("/settings/", &change).await.assert_redirect("/");
    assert_eq!(stranger.get(&before_change).await.status, 404);
    assert_eq!(
        stranger
            .submit_via("/forgot-password/", &before_change, &theirs)
            .await
            .status,
        404
    );
    app.visitor()
        .sign_in("una@example.org", "settings-password")
        .await
        .assert_redirect("/");
}

/// Moves every link's creation `by` into the past, as time passing would.
async fn age_links(app: &TestApp, by: Duration) {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::CreatedAt, Expr::value(Utc::now() - by))
        .exec(app.db())
        .await
        .unwrap();
}

/// 12,083 requests for one address once made 12,390 live links and about 12,000 emails.
async fn asking_again_sends_no_second_link_while_one_is_on_its_way(app: TestApp) {
    app.visitor().sign_up("vic@example.org", PASSWORD).await;
    let v = app.visitor();
    request_link(&app, &v, "vic@example.org").await;
    for _ in 0..3 {
        v.submit("/forgot-password/", &[("email", "vic@example.org")])
            .await
            .assert_redirect("/signin/");
    }
    assert_eq!(app.mails().await.len(), 1, "one email for four requests");
    assert_eq!(app.count("password_resets").await, 1);
    // Ten minutes on, the person may really need another.
    age_links(&app, Duration::minutes(11)).await;
    request_link(&app, &v, "vic@example.org").await;
    assert_eq!(app.mails().await.len(), 2);
    // Both links work until one is used.
    assert_eq!(app.count("password_resets").await, 2);
}

async fn used_and_expired_links_are_swept_after_a_day(app: TestApp) {
    use folio_db::queries::password_resets::delete_stale;
    app.visitor().sign_up("wyn@example.org", PASSWORD).await;
    let v = app.visitor();
    let used = request_link(&app, &v, "wyn@example.org").await;
    let fields = [
        ("new_password1", "fresh-password"),
        ("new_password2", "fresh-password"),
    ];
    v.submit(&used, &fields).await.assert_redirect("/signin/");
    age_links(&app, Duration::minutes(11)).await;
    let live = request_link(&app, &v, "wyn@example.org").await;
    // Nothing is a day old yet.
    let a_day_ago = Utc::now() - Duration::days(1);
    assert_eq!(delete_stale(app.db(), a_day_ago).await.unwrap(), 0);
    age_links(&app, Duration::days(2)).await;
    // The used link goes; the live one (usable still, as its expiry says) stays.
    assert_eq!(delete_stale(app.db(), a_day_ago).await.unwrap(), 1);
    assert_eq!(app.count("password_resets").await, 1);
    assert_eq!(v.get(&live).await.status, 200);
}

async fn garbage_reset_tokens_are_404(app: TestApp) {
    let v = app.visitor();
    for token in [
        "nope",
        &"a".repeat(64),
        &"z".repeat(64),
        &"0".repeat(500),
        "%FF%FE",
    ] {
        let page = v.get(&format!("/forgot-password/{token}/")).await;
        assert_eq!(page.status, 404, "{token}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_mode_answers_the_same_for_unknown_emails() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.privacy_mode = true)
        .await
        .unwrap();
    let v = app.visitor();
    v.submit("/forgot-password/", &[("email", "ghost@example.org")])
        .await
        .assert_redirect("/signin/");
    v.get("/signin/")
        .await
        .assert_contains("New password is sent in your email inbox");
    assert!(app.mails().await.is_empty());
    app.finish().await;
}

/// Privacy mode covers sign-up too: signing up with a taken email answers as a new account
/// does, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_mode_hides_which_emails_have_accounts_at_sign_up() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.privacy_mode = true)
        .await
        .unwrap();
    let first = app.visitor();
    first
        .sign_up("taken@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    let second = app.visitor();
    second
        .sign_up("taken@example.org", "another long password")
        .await
        .assert_redirect("/signin/");
    second
        .get("/signin/")
        .await
        .assert_contains("Account is created. Now you can sign in.");
    assert_eq!(app.count("users").await, 1);
    app.visitor()
        .sign_in("taken@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert_eq!(
        app.visitor()
            .sign_in("taken@example.org", "another long password")
            .await
            .status,
        422
    );
    // The one person who may ask is told by email, where nobody else can read it.
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "one email to the owner");
    assert_eq!(mails[0].to, "taken@example.org");
    assert_eq!(mails[0].subject, "You already have a Folio account");
    assert!(
        mails[0].link_containing("/signin/").is_some(),
        "{}",
        mails[0].decoded
    );
    assert!(mails[0].link_containing("/forgot-password/").is_some());
    // A look-alike of the address is answered the same way, and mails no one.
    app.visitor()
        .sign_up("t\u{430}ken@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.mails().await.len(), 1);
    app.finish().await;
}

/// The owner's email can't be used to flood a mailbox: as many as reset links for the address
/// (3 an hour with production limits), and past that the page still answers the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_mode_sign_ups_mail_the_owner_a_few_times_at_most() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.privacy_mode = true;
        config.rate_limits = Default::default();
        // Each sign-up from its own client, so the per-client sign-up limit never answers first.
        config.trusted_proxy_hops = 1;
    })
    .await
    .unwrap();
    app.visitor()
        .sign_up("flood@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    for n in 0..6 {
        let v = app.visitor_from(std::net::IpAddr::from([198, 51, 100, n]));
        v.sign_up("flood@example.org", PASSWORD)
            .await
            .assert_redirect("/signin/");
    }
    let to_owner = app
        .mails()
        .await
        .iter()
        .filter(|mail| mail.to == "flood@example.org")
        .count();
    assert_eq!(to_owner, 3);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mail_goes_out_over_smtp() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.email_url = url)
        .await
        .unwrap();
    let v = app.visitor();
    v.sign_up("oz@example.org", PASSWORD).await;
    v.submit("/forgot-password/", &[("email", "oz@example.org")])
        .await
        .assert_redirect("/signin/");
    // The mail is queued with the link; nothing reaches the server until a worker runs.
    assert!(sink.messages().is_empty());
    assert_eq!(app.run_jobs().await, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let decoded = folio_testkit::quoted_printable_decode(&messages[0]);
    assert!(decoded.contains("To: oz@example.org"), "{decoded}");
    assert!(decoded.contains("/forgot-password/"), "{decoded}");
    app.finish().await;
}

/// Eight submissions of one link at the same moment (a double click, a retrying client): one
/// sets the password, the others find the link used. On SQLite this was a `database is locked`
/// 500 for the losers, logged with the link's token.
async fn a_link_submitted_many_times_at_once_is_used_once(app: TestApp) {
    let v = app.visitor();
    v.sign_up("rae@example.org", PASSWORD).await;
    let link = request_link(&app, &v, "rae@example.org").await;
    // Each opens the form first, so that all eight post with the link still unused.
    let mut visitors = Vec::new();
    for _ in 0..8 {
        let visitor = app.visitor();
        let form = visitor.get(&link).await;
        let token = folio_testkit::csrf_token(&form.body).expect("the reset form");
        visitors.push((visitor, token));
    }
    let submissions = visitors.iter().enumerate().map(|(n, (visitor, token))| {
        let link = link.clone();
        async move {
            let password = format!("password-number-{n}");
            let fields = [
                ("new_password1", password.as_str()),
                ("new_password2", password.as_str()),
                ("csrf_token", token.as_str()),
            ];
            (password.clone(), visitor.post(&link, &fields).await)
        }
    });
    let answers = futures_util::future::join_all(submissions).await;
    let statuses: Vec<u16> = answers.iter().map(|(_, page)| page.status.as_u16()).collect();
    let winners: Vec<&String> = answers
        .iter()
        .filter(|(_, page)| page.status == 303)
        .map(|(password, _)| password)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one submission sets the password: {statuses:?}"
    );
    for (_, page) in answers.iter().filter(|(_, page)| page.status != 303) {
        assert_eq!(page.status, 404, "{statuses:?}: {}", page.body);
        page.assert_contains("This link no longer works");
    }
    app.visitor()
        .sign_in("rae@example.org", winners[0])
        .await
        .assert_redirect("/");
}
