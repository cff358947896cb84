//! Settings → Sessions: each signed-in browser of an account, ending one or all the others,
//! and the cap on how many one account keeps. Each runs with sessions in the database
//! (`memory://`) and in Redis.

use folio_testkit::{Backend, Cache, PASSWORD, TestApp, Visitor, cache_tests};
use sha2::{Digest, Sha256};

cache_tests!(
    each_browser_is_listed_and_can_be_signed_out,
    signing_out_the_others_keeps_this_browser,
);

/// How the sessions page names `visitor`'s session: a digest of the cookie, never the cookie.
fn handle_of(visitor: &Visitor) -> String {
    let cookie = visitor.cookie("folio_session").expect("a session cookie");
    hex::encode(Sha256::digest(cookie.as_bytes()))[..16].to_owned()
}

async fn each_browser_is_listed_and_can_be_signed_out(app: TestApp) {
    let laptop = app.visitor();
    laptop.register("ada@example.org").await;
    let phone = app.visitor();
    phone
        .sign_in("ada@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    let page = laptop.get("/settings/sessions/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body.matches(r#"name="session""#).count(), 2, "{}", page.body);
    assert_eq!(page.body.matches("this browser").count(), 1, "{}", page.body);
    let cookie = phone.cookie("folio_session").unwrap();
    assert!(
        !page.body.contains(&cookie),
        "the page must not show a session's cookie"
    );
    assert!(page.body.contains(&handle_of(&phone)), "{}", page.body);

    // Someone else's session can't be named from this account.
    let stranger = app.visitor();
    stranger.register("bea@example.org").await;
    let theirs = handle_of(&stranger);
    let refused = laptop
        .submit_via(
            "/settings/sessions/",
            "/settings/sessions/end/",
            &[("session", &theirs)],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert!(stranger.is_signed_in().await);

    let ended = laptop
        .submit_via(
            "/settings/sessions/",
            "/settings/sessions/end/",
            &[("session", &handle_of(&phone))],
        )
        .await;
    ended.assert_redirect("/settings/sessions/");
    assert!(!phone.is_signed_in().await, "the phone's session was ended");
    assert!(laptop.is_signed_in().await);
    let page = laptop.get("/settings/sessions/").await;
    assert_eq!(page.body.matches(r#"name="session""#).count(), 1, "{}", page.body);

    // Ending this browser's own session signs it out.
    let own = handle_of(&laptop);
    laptop
        .submit_via(
            "/settings/sessions/",
            "/settings/sessions/end/",
            &[("session", &own)],
        )
        .await
        .assert_redirect("/");
    assert!(!laptop.is_signed_in().await);
}

async fn signing_out_the_others_keeps_this_browser(app: TestApp) {
    let here = app.visitor();
    here.register("cy@example.org").await;
    let others = [app.visitor(), app.visitor()];
    for other in &others {
        other
            .sign_in("cy@example.org", PASSWORD)
            .await
            .assert_redirect("/");
    }
    let done = here
        .submit_via("/settings/sessions/", "/settings/sessions/end-others/", &[])
        .await;
    done.assert_redirect("/settings/sessions/");
    assert!(
        here.get("/settings/sessions/")
            .await
            .body
            .contains("Signed out 2 other sessions.")
    );
    for other in &others {
        assert!(!other.is_signed_in().await, "another session survived");
    }
    assert!(here.is_signed_in().await);
}

/// Signing in once more than `FOLIO_QUOTA_SESSIONS` allows ends the oldest session, so a
/// script signing in in a loop can't pile up sessions without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_keeps_at_most_its_quota_of_sessions() {
    for cache in [Cache::Memory, Cache::Redis] {
        let Some(app) =
            TestApp::spawn_with_cache(Backend::Sqlite, cache, |config| config.quotas.sessions = 3).await
        else {
            continue;
        };
        let first = app.visitor();
        first.register("dot@example.org").await;
        let mut later = Vec::new();
        for _ in 0..3 {
            let v = app.visitor();
            v.sign_in("dot@example.org", PASSWORD).await.assert_redirect("/");
            later.push(v);
        }
        assert!(
            !first.is_signed_in().await,
            "the oldest session was ended ({cache:?})"
        );
        for v in &later {
            assert!(v.is_signed_in().await, "a newer session was ended ({cache:?})");
        }
        let listed = later[0].get("/settings/sessions/").await;
        assert_eq!(
            listed.body.matches(r#"name="session""#).count(),
            3,
            "{}",
            listed.body
        );
        app.finish().await;
    }
}
