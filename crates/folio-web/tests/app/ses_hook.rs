//! `POST /hooks/ses`: SES bounce and complaint notifications through SNS, signed by the test's
//! own certificate (served on loopback; the verifier trusts that host by configuration).

use folio_db::entities::{delivery, email_suppression};
use folio_jobs::jobs::NotifySubscribers;
use folio_testkit::{SnsSigner, TestApp, backend_tests};
use sea_orm::EntityTrait;

backend_tests!(
    a_hard_bounce_suppresses_every_mail_to_the_address,
    a_complaint_suppresses_and_soft_bounces_do_not,
    forged_foreign_and_malformed_messages_change_nothing,
    the_subscription_is_confirmed_for_our_topic_only,
    the_hook_is_off_without_a_topic,
);

const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:folio-ses-events";
const OTHER_TOPIC: &str = "arn:aws:sns:eu-central-1:999999999999:someone-elses";

/// An app whose hook accepts `TOPIC`, with certificates from `signer`.
async fn app_with_hook(app: &TestApp, signer: &SnsSigner) -> TestApp {
    let cert_host = signer.cert_host();
    TestApp::spawn_with(app.backend(), |config| {
        config.ses_topic_arns = vec![TOPIC.to_owned()];
        config.sns_cert_host = Some(cert_host);
    })
    .await
    .unwrap()
}

async fn suppressions(app: &TestApp) -> Vec<email_suppression::Model> {
    email_suppression::Entity::find().all(app.db()).await.unwrap()
}

async fn a_hard_bounce_suppresses_every_mail_to_the_address(app: TestApp) {
    let signer = SnsSigner::start().await;
    let app = app_with_hook(&app, &signer).await;
    app.seed_subscribers("reader", 2, true).await;
    let gone = "reader0@example.org";
    app.visitor().register(gone).await;

    assert_eq!(
        app.deliver_sns(signer.bounce(TOPIC, "Reader0@Example.org", true))
            .await,
        200
    );
    let rows = suppressions(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].email.as_str(), rows[0].reason.as_str()),
        (gone, "bounce")
    );
    // The same report again (SNS retries) changes nothing.
    assert_eq!(app.deliver_sns(signer.bounce(TOPIC, gone, true)).await, 200);
    assert_eq!(suppressions(&app).await.len(), 1);

    // Staff see it.
    let staff = app.staff_visitor("staff@example.org").await;
    let list = staff.get("/admin/subscribers/").await;
    list.assert_contains("bounced: General bounce");

    // A notification reaches the other reader only; the suppressed delivery says why.
    let before = app.mails().await.len();
    let category = app.seed_category("News").await;
    let item = app.seed_item(&category, "After the bounce", true).await;
    folio_jobs::enqueue(app.db(), &NotifySubscribers { item_id: item.id })
        .await
        .unwrap();
    let mails = app.mails().await;
    let sent: Vec<&str> = mails[before..].iter().map(|mail| mail.to.as_str()).collect();
    assert_eq!(sent, ["reader1@example.org"]);
    let deliveries = delivery::Entity::find().all(app.db()).await.unwrap();
    let held = deliveries
        .iter()
        .find(|d| d.state == "failed")
        .expect("a held delivery");
    assert!(
        held.last_error.as_deref().unwrap_or("").contains("suppressed"),
        "{held:?}"
    );

    // A password reset is not mailed to it either; the request itself answers as usual.
    let before = app.mails().await.len();
    app.visitor()
        .submit("/forgot-password/", &[("email", gone)])
        .await
        .assert_redirect("/signin/");
    assert_eq!(
        app.mails().await.len(),
        before,
        "no reset mail to a bounced address"
    );
    assert_eq!(app.pending_jobs().await, 0, "the job is done, not retried");
    assert_eq!(app.failed_jobs().await, 0, "the job is done, not failed");
    app.finish().await;
}

async fn a_complaint_suppresses_and_soft_bounces_do_not(app: TestApp) {
    let signer = SnsSigner::start().await;
    let app = app_with_hook(&app, &signer).await;
    assert_eq!(
        app.deliver_sns(signer.bounce(TOPIC, "full@example.org", false))
            .await,
        200
    );
    assert!(
        suppressions(&app).await.is_empty(),
        "a soft bounce keeps the address"
    );
    assert_eq!(
        app.deliver_sns(signer.complaint(TOPIC, "angry@example.org"))
            .await,
        200
    );
    let rows = suppressions(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].email.as_str(), rows[0].reason.as_str()),
        ("angry@example.org", "complaint")
    );
    // A verified message that is not an SES event is acknowledged and ignored.
    assert_eq!(
        app.deliver_sns(signer.notification(TOPIC, "{\"hello\":1}", 2))
            .await,
        200
    );
    assert_eq!(suppressions(&app).await.len(), 1);
    app.finish().await;
}

async fn forged_foreign_and_malformed_messages_change_nothing(app: TestApp) {
    let signer = SnsSigner::start().await;
    let app = app_with_hook(&app, &signer).await;
    let bounce = |email: &str| {
        format!(
            r#"{{"eventType":"Bounce","bounce":{{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{{"emailAddress":"{email}"}}]}}}}"#
        )
    };
    // Signed by another key: 403.
    assert_eq!(
        app.deliver_sns(signer.forged_notification(TOPIC, &bounce("victim@example.org")))
            .await,
        403
    );
    // Signed, then the recipient changed: 403.
    let tampered =
        signer.tampered_notification(TOPIC, &bounce("a@example.org"), &bounce("victim@example.org"));
    assert_eq!(app.deliver_sns(tampered).await, 403);
    // Validly signed, but for a topic that is not ours: 403, and no certificate fetched.
    let fetches = signer.cert_fetches();
    assert_eq!(
        app.deliver_sns(signer.bounce(OTHER_TOPIC, "victim@example.org", true))
            .await,
        403
    );
    assert_eq!(signer.cert_fetches(), fetches);
    // Not SNS at all: 400.
    for body in ["", "not json", "{}", &"x".repeat(100_000)] {
        assert_eq!(app.deliver_sns(body.to_owned()).await, 400, "{body:.20}");
    }
    assert!(suppressions(&app).await.is_empty());
    app.finish().await;
}

async fn the_subscription_is_confirmed_for_our_topic_only(app: TestApp) {
    let signer = SnsSigner::start().await;
    let app = app_with_hook(&app, &signer).await;
    assert_eq!(
        app.deliver_sns(signer.subscription_confirmation(OTHER_TOPIC))
            .await,
        403
    );
    assert!(signer.confirmations().is_empty());
    assert_eq!(
        app.deliver_sns(signer.subscription_confirmation(TOPIC)).await,
        200
    );
    assert_eq!(signer.confirmations().len(), 1);
    app.finish().await;
}

async fn the_hook_is_off_without_a_topic(app: TestApp) {
    let signer = SnsSigner::start().await;
    assert_eq!(
        app.deliver_sns(signer.bounce(TOPIC, "a@example.org", true)).await,
        404
    );
    assert!(suppressions(&app).await.is_empty());
}
