//! A flood of sign-ins. Each checks a password (argon2id, tens of milliseconds, two at a time),
//! and the checks once waited in one queue without bound: a person's own sign-in during a
//! flood waited 8 s or timed out. Now the queue is short and what does not fit is refused at
//! once with a 429 that asks to retry. Its own test binary, because that queue is
//! process-wide: other tests signing in at the same time would be refused too.

// Test helpers may panic: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_testkit::{Backend, PASSWORD, TestApp};

const GUESSES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_is_refused_early_instead_of_queued() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.visitor().sign_up("owner@example.org", PASSWORD).await;

    let guesses = (0..GUESSES).map(|i| {
        let app = &app;
        async move {
            let page = app
                .visitor()
                .sign_in(&format!("guess{i}@example.org"), "not the password")
                .await;
            (page.status.as_u16(), page.body)
        }
    });
    let owner = async {
        let v = app.visitor();
        v.sign_in("owner@example.org", PASSWORD).await.status.as_u16()
    };
    let (answers, owner_status) = tokio::join!(futures_util::future::join_all(guesses), owner);

    let refused: Vec<_> = answers.iter().filter(|(status, _)| *status == 429).collect();
    let wrong = answers.iter().filter(|(status, _)| *status == 422).count();
    assert_eq!(
        refused.len() + wrong,
        GUESSES,
        "every guess is answered as a wrong password or refused, nothing else: {:?}",
        answers.iter().map(|(status, _)| status).collect::<Vec<_>>()
    );
    assert!(!refused.is_empty(), "a flood this size overflows the queue");
    assert!(
        refused[0].1.contains("Many people are signing in right now"),
        "{}",
        refused[0].1
    );
    // The person signing in during the flood is let in, or told at once to retry.
    assert!(matches!(owner_status, 303 | 429), "{owner_status}");
    // After it, signing in works as ever.
    let after = app.visitor().sign_in("owner@example.org", PASSWORD).await;
    after.assert_redirect("/");
    app.finish().await;
}
