//! Several instances behave as one (`FOLIO_CACHE_URL`): sessions, page caching and rate limits,
//! each proven with `memory://` and with Redis; then two instances on one PostgreSQL and one
//! Redis, with the time each change takes to reach the other; then Redis stopped and started
//! again under a running app.

use std::time::{Duration, Instant};

use folio_testkit::{Backend, Cache, PASSWORD, RedisServer, TestApp, Visitor, cache_tests};

cache_tests!(
    signing_out_ends_the_session_everywhere,
    a_password_change_ends_the_other_sessions,
    a_content_change_refreshes_cached_pages,
    failed_sign_ins_are_limited_per_account,
    failed_sign_ins_are_limited_per_client,
    sign_ups_are_limited_per_client,
    reset_links_are_limited_per_account,
    subscriptions_are_limited_per_client,
);

/// The settings form changing [`PASSWORD`] to another.
const NEW_PASSWORD: [(&str, &str); 3] = [
    ("old_password", PASSWORD),
    ("new_password1", "brand-new-secret"),
    ("new_password2", "brand-new-secret"),
];

async fn signing_out_ends_the_session_everywhere(app: TestApp) {
    let v = app.visitor();
    v.register("ada@example.org").await;
    let stolen = v.copy();
    assert!(stolen.is_signed_in().await, "the copied cookie works");
    v.submit("/signout/", &[]).await.assert_redirect("/");
    assert!(!v.is_signed_in().await);
    assert!(
        !stolen.is_signed_in().await,
        "a copy of an ended session is refused"
    );
}

async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    let laptop = app.visitor();
    laptop.register("ada@example.org").await;
    let phone = app.visitor();
    phone
        .sign_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert!(phone.is_signed_in().await);
    laptop
        .submit("/settings/", &NEW_PASSWORD)
        .await
        .assert_redirect("/");
    assert!(laptop.is_signed_in().await, "the session that changed it stays");
    assert!(!phone.is_signed_in().await, "every other session ends");
}

async fn a_content_change_refreshes_cached_pages(app: TestApp) {
    let staff = app.staff_visitor("editor@example.org").await;
    let category = app.create_category(&staff, "News").await;
    let reader = app.visitor();
    reader.get("/site/").await.assert_lacks("Fresh news");
    // Twice: the second answer comes from the page cache.
    reader.get("/site/").await.assert_lacks("Fresh news");
    app.create_item(&staff, category, "Fresh news", true).await;
    reader.get("/site/").await.assert_contains("Fresh news");
}

/// Signs in with a wrong password until refused; returns how many attempts were let through.
async fn fail_sign_ins(visitor: &Visitor, email: &str, up_to: u32) -> u32 {
    for attempt in 0..up_to {
        let page = visitor.sign_in(email, "not-the-password").await;
        match page.status.as_u16() {
            422 => {}
            429 => return attempt,
            other => panic!("sign-in answered {other}: {}", page.body),
        }
    }
    up_to
}

async fn failed_sign_ins_are_limited_per_account(app: TestApp) {
    let limit = app.state().settings.rate_limits.sign_in_account;
    let owner = app.visitor();
    owner
        .sign_up("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    let attacker = app.visitor();
    assert_eq!(
        fail_sign_ins(&attacker, "ada@example.org", limit.max + 5).await,
        limit.max
    );
    // Now even the right password is refused, with a clear page and a time to come back.
    let refused = attacker.sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(refused.status, 429);
    refused.assert_contains("Too many failed sign-in attempts");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=limit.window.as_secs()).contains(&retry_after),
        "{retry_after}"
    );
    assert!(!attacker.is_signed_in().await);
    // Another account from the same client is not affected (that limit is higher).
    owner
        .sign_up("bob@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    attacker
        .sign_in("bob@example.org", PASSWORD)
        .await
        .assert_redirect("/");
}

async fn failed_sign_ins_are_limited_per_client(app: TestApp) {
    let limit = app.state().settings.rate_limits.sign_in_client;
    let v = app.visitor();
    let mut let_through = 0;
    // One wrong attempt per account, never reaching any account's own limit.
    for n in 0..limit.max + 1 {
        let page = v.sign_in(&format!("user{n}@example.org"), "wrong-password").await;
        if page.status == 429 {
            break;
        }
        let_through += 1;
    }
    assert_eq!(let_through, limit.max);
    assert_eq!(v.sign_in("x@example.org", "wrong-password").await.status, 429);
}

async fn sign_ups_are_limited_per_client(app: TestApp) {
    let limit = app.state().settings.rate_limits.sign_up;
    let v = app.visitor();
    for n in 0..limit.max {
        v.sign_up(&format!("user{n}@example.org"), PASSWORD)
            .await
            .assert_redirect("/signin/");
    }
    let refused = v.sign_up("one-more@example.org", PASSWORD).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(
        app.count("users").await,
        i64::from(limit.max),
        "nothing was created"
    );
}

async fn reset_links_are_limited_per_account(app: TestApp) {
    let limit = app.state().settings.rate_limits.forgot_password_account;
    let v = app.visitor();
    v.sign_up("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/signin/");
    for _ in 0..limit.max {
        v.submit("/forgot-password/", &[("email", "ada@example.org")])
            .await
            .assert_redirect("/signin/");
    }
    let refused = v
        .submit("/forgot-password/", &[("email", "ada@example.org")])
        .await;
    assert_eq!(refused.status, 429);
    // Each request counts against the limit, and one link is mailed: while it is on its way,
    // asking again sends no other.
    assert_eq!(app.mails().await.len(), 1, "one link was mailed");
}

async fn subscriptions_are_limited_per_client(app: TestApp) {
    let limit = app.state().settings.rate_limits.subscribe;
    let v = app.visitor();
    for n in 0..limit.max {
        let page = v
            .submit(
                "/site/subscribe/",
                &[("email", &format!("reader{n}@example.org"))],
            )
            .await;
        assert!(page.status.is_redirection(), "{}: {}", page.status, page.body);
    }
    let refused = v
        .submit("/site/subscribe/", &[("email", "one-more@example.org")])
        .await;
    assert_eq!(refused.status, 429);
    assert_eq!(app.count("subscribers").await, i64::from(limit.max));
}

/// Polls `check` until it holds and returns how long that took; fails after `bound`.
async fn time_until<F, Fut>(what: &str, bound: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < bound, "{what}: not seen within {bound:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

const PROPAGATION_BOUND: Duration = Duration::from_secs(1);

/// Two web instances on one PostgreSQL and one Redis, as production runs them behind the load
/// balancer. Each promise is timed from the moment the first instance answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behave_as_one() {
    let production_limits = |config: &mut folio_web::AppConfig| config.rate_limits = Default::default();
    let Some(a) = TestApp::spawn_with_cache(Backend::Postgres, Cache::Redis, production_limits).await else {
        return;
    };
    let b = a.another_instance().await;
    let mut figures = Vec::new();

    // A session made on A is known to B (sessions live in Redis).
    let on_a = a.visitor();
    on_a.register("ada@example.org").await;
    let on_b = on_a.via(b.base_url());
    assert!(on_b.is_signed_in().await, "B knows A's session");
    assert!(on_b.is_signed_in().await, "and now serves it from its memory");

    // Signing out on A: B's copy goes.
    on_a.submit("/signout/", &[]).await.assert_redirect("/");
    let took = time_until("sign-out on A reaching B", PROPAGATION_BOUND, || async {
        !on_b.is_signed_in().await
    })
    .await;
    figures.push(("sign-out on A refused on B", took));

    // A password change on A ends the other sessions, cached on B.
    let laptop = a.visitor();
    laptop
        .sign_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    let phone = b.visitor();
    phone
        .sign_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert!(phone.is_signed_in().await);
    laptop
        .submit("/settings/", &NEW_PASSWORD)
        .await
        .assert_redirect("/");
    let took = time_until("password change on A reaching B", PROPAGATION_BOUND, || async {
        !phone.is_signed_in().await
    })
    .await;
    figures.push(("password change on A ends session on B", took));
    assert!(
        laptop.via(b.base_url()).is_signed_in().await,
        "the changer's own session stays"
    );

    // Deactivation by staff on A ends the user's session cached on B.
    let staff = a.staff_visitor("editor@example.org").await;
    let user = b.visitor();
    user.register("bob@example.org").await;
    assert!(user.is_signed_in().await);
    let bob = folio_db::queries::users::find_by_email(a.db(), "bob@example.org")
        .await
        .unwrap()
        .unwrap();
    let deactivate = format!("/admin/users/{}/active/", bob.id);
    staff
        .submit_via(
            &format!("{deactivate}?value=off"),
            &deactivate,
            &[("value", "off")],
        )
        .await;
    let took = time_until("deactivation on A reaching B", PROPAGATION_BOUND, || async {
        !user.is_signed_in().await
    })
    .await;
    figures.push(("deactivation on A ends session on B", took));

    // A content change on A: B's cached pages go.
    let category = a.create_category(&staff, "News").await;
    let reader = b.visitor();
    reader.get("/site/").await.assert_lacks("Fresh news");
    reader.get("/site/").await.assert_lacks("Fresh news");
    a.create_item(&staff, category, "Fresh news", true).await;
    let took = time_until("a new item on A showing on B", PROPAGATION_BOUND, || async {
        reader.get("/site/").await.body.contains("Fresh news")
    })
    .await;
    figures.push(("item published on A shown by B", took));

    // Limits are shared: the contact limit spent across A and B, refused on either.
    let limit = a.state().settings.rate_limits.contact;
    let writer = a.visitor();
    let fields = [
        ("name", "Ada"),
        ("email", "ada@example.org"),
        ("subject", "Hello"),
        ("message", "Hi"),
    ];
    for n in 0..limit.max {
        let via = if n % 2 == 0 {
            writer.via(a.base_url())
        } else {
            writer.via(b.base_url())
        };
        via.submit("/site/contact/", &fields)
            .await
            .assert_redirect("/site/contact/");
    }
    for instance in [&a, &b] {
        let refused = writer
            .via(instance.base_url())
            .submit("/site/contact/", &fields)
            .await;
        assert_eq!(refused.status, 429, "refused by {}", instance.base_url());
    }
    assert_eq!(a.count("contact_messages").await, i64::from(limit.max));

    for (what, took) in &figures {
        println!("two instances: {what}: {:.1} ms", took.as_secs_f64() * 1000.0);
        assert!(*took < PROPAGATION_BOUND);
    }
    println!(
        "two instances: contact limit {} per hour shared: {} sent through A and B, the next refused by both",
        limit.max, limit.max
    );
    b.finish().await;
    a.finish().await;
}

/// Views counted on an instance that stops are written before it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_counted_on_a_stopping_instance_are_kept() {
    let Some(a) = TestApp::spawn_with_cache(Backend::Postgres, Cache::Redis, |_| {}).await else {
        return;
    };
    let category = a.seed_category("News").await;
    let item = a.seed_item(&category, "Read me", true).await;
    let b = a.another_instance().await;
    let path = format!("/site/items/{}/{}/", category.slug, item.slug);
    let reader = b.visitor();
    for _ in 0..25 {
        assert_eq!(reader.get(&path).await.status, 200);
    }
    // Well within the flush interval: only the shutdown flush can have written them.
    b.finish().await;
    assert_eq!(a.item(item.id).await.view_count, 25);
    a.finish().await;
}

/// Redis killed under a running app, then started again: public pages keep being served,
/// signed-in pages answer 503 with `Retry-After` (never 500, never a hang), forms keep their
/// limits in process; when Redis is back, sessions work again (the same ones: its data
/// survived) and the caches are trusted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_is_survived() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.cache_url = folio_web::cluster::CacheUrl::parse(&url).unwrap();
    })
    .await
    else {
        return;
    };
    let staff = app.staff_visitor("editor@example.org").await;
    let category = app.create_category(&staff, "News").await;
    app.create_item(&staff, category, "Before the outage", true).await;
    let member = app.visitor();
    member.register("ada@example.org").await;
    let reader = app.visitor();
    reader.get("/site/").await.assert_contains("Before the outage");

    redis.kill();
    let killed = Instant::now();
    // Past the heartbeat's bound: the app no longer trusts its in-process copies.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let public = reader.get("/site/").await;
    assert_eq!(public.status, 200, "public pages are still served");
    public.assert_contains("Before the outage");
    let signed_in_page = member.get("/").await;
    let answered_in = started.elapsed();
    assert_eq!(signed_in_page.status, 503, "{}", signed_in_page.body);
    assert_eq!(signed_in_page.header("retry-after").as_deref(), Some("5"));
    signed_in_page.assert_contains("could not reach its session store");
    assert!(
        answered_in < Duration::from_secs(2),
        "answered in {answered_in:?}"
    );
    let sign_in = app.visitor().sign_in("ada@example.org", PASSWORD).await;
    assert_eq!(sign_in.status, 503, "a sign-in can't be stored: a clear 503");
    let contact = app
        .visitor()
        .submit(
            "/site/contact/",
            &[
                ("name", "Ada"),
                ("email", "a@b.org"),
                ("subject", "s"),
                ("message", "m"),
            ],
        )
        .await;
    contact.assert_redirect("/site/contact/");

    redis.resume();
    let down_for = killed.elapsed();
    let recovered = time_until("sessions working again", Duration::from_secs(5), || async {
        member.get("/").await.status == 200
    })
    .await;
    // Caches trusted again and kept right: a change shows at once.
    app.create_item(&staff, category, "After the outage", true).await;
    reader.get("/site/").await.assert_contains("After the outage");
    println!(
        "redis restart: down {:.1} s; signed-in page answered 503 in {:.0} ms; sessions back {:.0} ms after Redis",
        down_for.as_secs_f64(),
        answered_in.as_secs_f64() * 1000.0,
        recovered.as_secs_f64() * 1000.0
    );
    app.finish().await;
}
