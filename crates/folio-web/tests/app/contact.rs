//! The contact form: validation, storage, the staff email job, the per-client limit.

use folio_testkit::{TestApp, backend_tests};

backend_tests!(
    a_message_is_stored_and_staff_are_emailed,
    invalid_messages_change_nothing,
    a_client_may_send_only_a_few_forms_an_hour,
);

async fn a_message_is_stored_and_staff_are_emailed(app: TestApp) {
    let staff = app.visitor();
    staff.register("editor@example.org").await;
    app.set_staff("editor@example.org", true).await;
    app.visitor().register("reader@example.org").await;
    let v = app.visitor();
    v.submit(
        "/site/contact/",
        &[
            ("name", "Ada"),
            ("email", "Ada@Example.org"),
            ("subject", "Hello there"),
            ("message", "I like the site.\nThanks!"),
        ],
    )
    .await
    .assert_redirect("/site/contact/");
    v.get("/site/contact/")
        .await
        .assert_contains("Thank you for your message.");
    assert_eq!(app.count("contact_messages").await, 1);
    assert_eq!(
        app.pending_jobs().await,
        1,
        "the staff email is queued, not sent inline"
    );
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "only staff are emailed");
    assert_eq!(mails[0].to, "editor@example.org");
    assert_eq!(mails[0].subject, "Contact form: Hello there");
    assert!(mails[0].decoded.contains("ada@example.org"));
    // Staff reply to the visitor; the message is ours (Message-ID on the sending domain).
    assert!(
        mails[0].decoded.contains("\nReply-To: ada@example.org"),
        "{}",
        mails[0].decoded
    );
    let message_id = mails[0]
        .decoded
        .lines()
        .find_map(|line| line.strip_prefix("Message-ID: "));
    assert!(
        message_id.is_some_and(|id| id.trim_end().ends_with("@example.org>")),
        "{message_id:?}"
    );
    assert!(mails[0].decoded.contains("I like the site."));
    assert_eq!(app.pending_jobs().await, 0);
    assert_eq!(app.failed_jobs().await, 0);
}

async fn invalid_messages_change_nothing(app: TestApp) {
    let v = app.visitor();
    let too_long = "x".repeat(2049);
    for (fields, field_error) in [
        (
            [
                ("name", ""),
                ("email", "a@b.org"),
                ("subject", "s"),
                ("message", "m"),
            ],
            "This field is required.",
        ),
        (
            [
                ("name", "Ada"),
                ("email", "not-an-email"),
                ("subject", "s"),
                ("message", "m"),
            ],
            "Enter a valid email address.",
        ),
        (
            [
                ("name", "Ada"),
                ("email", "a@b.org"),
                ("subject", "s"),
                ("message", too_long.as_str()),
            ],
            "at most 2048 characters",
        ),
    ] {
        let page = v.submit("/site/contact/", &fields).await;
        assert_eq!(page.status, 422);
        page.assert_contains(field_error);
    }
    // A message of exactly 2,048 characters is fine.
    let max = "y".repeat(2048);
    v.submit(
        "/site/contact/",
        &[
            ("name", "Ada"),
            ("email", "a@b.org"),
            ("subject", "s"),
            ("message", &max),
        ],
    )
    .await
    .assert_redirect("/site/contact/");
    assert_eq!(app.count("contact_messages").await, 1);
    // Without the form token: refused, nothing stored.
    let forged = v
        .post(
            "/site/contact/",
            &[
                ("name", "Ada"),
                ("email", "a@b.org"),
                ("subject", "s"),
                ("message", "m"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count("contact_messages").await, 1);
}

async fn a_client_may_send_only_a_few_forms_an_hour(app: TestApp) {
    let v = app.visitor();
    let fields = [
        ("name", "Ada"),
        ("email", "a@b.org"),
        ("subject", "s"),
        ("message", "m"),
    ];
    for _ in 0..5 {
        v.submit("/site/contact/", &fields)
            .await
            .assert_redirect("/site/contact/");
    }
    let refused = v.submit("/site/contact/", &fields).await;
    assert_eq!(refused.status, 429);
    // The client's hour started with its first message, a moment ago.
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((3590..=3600).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(app.count("contact_messages").await, 5);
}
