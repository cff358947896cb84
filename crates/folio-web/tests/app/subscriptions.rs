//! Subscriptions end to end: double opt-in, one click from settings, unsubscribing by the link's
//! page and button and by RFC 8058 one-click POST, and the notifications a publication sends.

use folio_db::entities::{delivery, subscriber};
use folio_jobs::jobs::NotifySubscribers;
use folio_testkit::{Mail, SmtpSink, TestApp, Visitor, backend_tests};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

backend_tests!(
    double_opt_in_then_notified_then_unsubscribed_by_link,
    one_click_unsubscribe_by_post,
    signed_in_users_subscribe_from_settings,
    unconfirmed_and_unsubscribed_addresses_get_nothing,
    the_form_answers_the_same_for_known_addresses,
    bad_tokens_are_404_or_harmless,
    opening_the_unsubscribe_link_changes_nothing,
    the_unsubscribe_button_needs_its_form_token,
    the_whole_flow_over_smtp,
    deliveries_outlive_their_subscribers_across_the_m0006_upgrade,
    deliveries_in_doubt_are_listed_and_resent_on_purpose,
);

/// Subscribes `email` through the public form and returns the confirmation path.
async fn subscribe(app: &TestApp, v: &Visitor, email: &str) -> String {
    v.submit("/site/subscribe/", &[("email", email)])
        .await
        .assert_redirect("/site/subscribe/");
    let mail = app
        .mails()
        .await
        .into_iter()
        .rev()
        .find(|mail| mail.to == email.to_lowercase())
        .expect("a confirmation email");
    assert_eq!(mail.subject, "Confirm your subscription to Folio");
    path_of(&mail, "/site/subscribe/confirm/")
}

fn path_of(mail: &Mail, prefix: &str) -> String {
    let link = mail.link_containing(prefix).expect("a link");
    link.split_once(prefix)
        .map(|(_, rest)| format!("{prefix}{rest}"))
        .unwrap()
}

async fn confirm(v: &Visitor, path: &str) {
    v.get(path).await.assert_contains("Confirm my subscription");
    v.submit_via(path, path, &[]).await.assert_redirect("/site/");
}

/// Publishes a new item as the admin panel does: the fan-out job in the same transaction.
async fn publish(app: &TestApp, title: &str) -> i64 {
    let category = match folio_db::queries::site::category_by_slug(app.db(), "news")
        .await
        .unwrap()
    {
        Some(category) => category,
        None => app.seed_category("News").await,
    };
    let item = app.seed_item(&category, title, true).await;
    folio_jobs::enqueue(app.db(), &NotifySubscribers { item_id: item.id })
        .await
        .unwrap();
    item.id
}

async fn notifications(app: &TestApp, title: &str) -> Vec<Mail> {
    app.mails()
        .await
        .into_iter()
        .filter(|mail| mail.subject == format!("New on Folio: {title}"))
        .collect()
}

async fn double_opt_in_then_notified_then_unsubscribed_by_link(app: TestApp) {
    let v = app.visitor();
    let confirm_path = subscribe(&app, &v, "Reader@Example.org").await;
    publish(&app, "Before confirming").await;
    assert!(notifications(&app, "Before confirming").await.is_empty());
    confirm(&v, &confirm_path).await;
    let confirmed = subscriber::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert!(confirmed.confirmed && confirmed.email == "reader@example.org");

    publish(&app, "Hello world").await;
    let mails = notifications(&app, "Hello world").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "reader@example.org");
    assert!(
        mail.decoded.contains("Content-Type: text/plain") && mail.decoded.contains("Content-Type: text/html")
    );
    assert!(mail.decoded.contains("/site/items/news/hello-world/"));
    let unsubscribe = path_of(mail, "/site/unsubscribe/");
    assert!(
        mail.decoded
            .contains(&format!("List-Unsubscribe: <http://127.0.0.1{unsubscribe}>")),
        "{}",
        mail.decoded
    );
    assert!(
        mail.decoded
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );

    // The link opens a page with a button; pressing it unsubscribes.
    let reader = app.visitor();
    let page = reader.get(&unsubscribe).await;
    assert_eq!(page.status, 200);
    page.assert_contains("r•••@example.org");
    page.assert_lacks("reader@example.org");
    page.assert_contains(&format!("action=\"{unsubscribe}\""));
    assert_eq!(app.count("subscribers").await, 1);
    let done = reader.submit(&unsubscribe, &[]).await;
    assert_eq!(done.status, 200);
    done.assert_contains("You are unsubscribed");
    assert_eq!(app.count("subscribers").await, 0);
    // The used link now says so, with a 404, on opening and on pressing again.
    let used = app.visitor().get(&unsubscribe).await;
    assert_eq!(used.status, 404);
    used.assert_contains("This unsubscribe link is not valid");
    let again = reader.submit_via("/site/subscribe/", &unsubscribe, &[]).await;
    assert_eq!(again.status, 404);
    again.assert_contains("This unsubscribe link is not valid");
    publish(&app, "After leaving").await;
    assert!(notifications(&app, "After leaving").await.is_empty());
}

async fn one_click_unsubscribe_by_post(app: TestApp) {
    let v = app.visitor();
    let confirm_path = subscribe(&app, &v, "reader@example.org").await;
    confirm(&v, &confirm_path).await;
    publish(&app, "Hello world").await;
    let mail = notifications(&app, "Hello world").await.pop().unwrap();
    let unsubscribe = path_of(&mail, "/site/unsubscribe/");
    // What a mail provider sends: a plain POST, no cookies, no form token.
    let response = reqwest::Client::new()
        .post(format!("{}{unsubscribe}", app.base_url()))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("subscribers").await, 0);
}

async fn signed_in_users_subscribe_from_settings(app: TestApp) {
    let v = app.visitor();
    v.register("member@example.org").await;
    v.get("/settings/")
        .await
        .assert_contains("Subscribe this address");
    v.submit_via("/settings/", "/site/subscribe/me/", &[("action", "subscribe")])
        .await
        .assert_redirect("/settings/");
    // Accounts' addresses are not verified: the address's owner confirms by the link, as on
    // the public form. Until then nothing is sent to it (a click once subscribed a stranger).
    let row = subscriber::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert!(!row.confirmed && row.user_id.is_some());
    v.get("/settings/").await.assert_contains("Check your inbox");
    publish(&app, "Before confirming").await;
    assert!(notifications(&app, "Before confirming").await.is_empty());
    let mail = app
        .mails()
        .await
        .into_iter()
        .find(|mail| mail.to == "member@example.org");
    let path = path_of(&mail.expect("a confirmation email"), "/site/subscribe/confirm/");
    confirm(&v, &path).await;
    publish(&app, "Members news").await;
    assert_eq!(notifications(&app, "Members news").await.len(), 1);
    v.get("/settings/").await.assert_contains("Unsubscribe");
    v.submit_via("/settings/", "/site/subscribe/me/", &[("action", "unsubscribe")])
        .await
        .assert_redirect("/settings/");
    assert_eq!(app.count("subscribers").await, 0);
    // Anonymous visitors can't use the one-click form.
    let anonymous = app.visitor();
    let page = anonymous
        .submit_via(
            "/site/subscribe/",
            "/site/subscribe/me/",
            &[("action", "subscribe")],
        )
        .await;
    assert!(page.location().is_some_and(|to| to.starts_with("/signin/")));
}

async fn unconfirmed_and_unsubscribed_addresses_get_nothing(app: TestApp) {
    let readers = ["a@example.org", "b@example.org", "c@example.org"];
    for email in readers {
        let v = app.visitor();
        let path = subscribe(&app, &v, email).await;
        confirm(&v, &path).await;
    }
    subscribe(&app, &app.visitor(), "pending@example.org").await;
    let item_id = publish(&app, "Fan out").await;
    let mails = notifications(&app, "Fan out").await;
    let mut recipients: Vec<_> = mails.iter().map(|mail| mail.to.as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, readers);
    let sent = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(item_id))
        .filter(delivery::Column::State.eq(delivery::SENT))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(app.count("deliveries").await, 3);
    assert_eq!(app.pending_jobs().await, 0);
    assert_eq!(app.failed_jobs().await, 0);
}

async fn the_form_answers_the_same_for_known_addresses(app: TestApp) {
    let v = app.visitor();
    let path = subscribe(&app, &v, "reader@example.org").await;
    confirm(&v, &path).await;
    let before = app.mails().await.len();
    let again = app.visitor();
    again
        .submit("/site/subscribe/", &[("email", "reader@example.org")])
        .await
        .assert_redirect("/site/subscribe/");
    again
        .get("/site/subscribe/")
        .await
        .assert_contains("Check your inbox");
    // Already confirmed: nothing is sent, and the row is unchanged.
    assert_eq!(app.mails().await.len(), before);
    assert_eq!(app.count("subscribers").await, 1);
    let invalid = again.submit("/site/subscribe/", &[("email", "nope")]).await;
    assert_eq!(invalid.status, 422);
    invalid.assert_contains("Enter a valid email address.");
}

async fn bad_tokens_are_404_or_harmless(app: TestApp) {
    let v = app.visitor();
    for path in [
        "/site/subscribe/confirm/abc/",
        &format!("/site/subscribe/confirm/{}/", "0".repeat(64)),
        "/site/subscribe/confirm/%FF/",
    ] {
        assert_eq!(v.get(path).await.status, 404, "{path}");
    }
    let path = subscribe(&app, &v, "reader@example.org").await;
    confirm(&v, &path).await;
    for path in [
        "/site/unsubscribe/abc/",
        &format!("/site/unsubscribe/{}/", "0".repeat(64)),
        "/site/unsubscribe/%FF/",
    ] {
        // Opening or pressing the button on a bad link: a clear 404 page, nothing changed.
        let page = v.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.assert_contains("This unsubscribe link is not valid");
        let pressed = v.submit_via("/site/subscribe/", path, &[]).await;
        assert_eq!(pressed.status, 404, "{path}");
        pressed.assert_contains("This unsubscribe link is not valid");
        // RFC 8058 one-click stays idempotent: a mail provider gets 200 for any token.
        let one_click = reqwest::Client::new()
            .post(format!("{}{path}", app.base_url()))
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .unwrap();
        assert_eq!(one_click.status(), 200, "{path}");
    }
    assert_eq!(app.count("subscribers").await, 1);
}

/// The address's unsubscribe path, from its notification of a fresh item.
async fn unsubscribe_path(app: &TestApp, email: &str) -> String {
    let v = app.visitor();
    let path = subscribe(app, &v, email).await;
    confirm(&v, &path).await;
    publish(app, "Hello world").await;
    let mail = notifications(app, "Hello world").await.pop().unwrap();
    path_of(&mail, "/site/unsubscribe/")
}

/// What a mail scanner does: follow every link, with and without cookies, and read the page.
/// Nobody is unsubscribed by that.
async fn opening_the_unsubscribe_link_changes_nothing(app: TestApp) {
    let unsubscribe = unsubscribe_path(&app, "reader@example.org").await;
    for _ in 0..3 {
        let page = app.visitor().get(&unsubscribe).await;
        assert_eq!(page.status, 200);
        page.assert_contains("Unsubscribe");
        page.assert_lacks("You are unsubscribed");
        let head = reqwest::Client::new()
            .head(format!("{}{unsubscribe}", app.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
    }
    let row = subscriber::Entity::find().one(app.db()).await.unwrap().unwrap();
    assert!(row.confirmed);
}

/// The button is a form like any other: without its token (a cross-site form, a replayed
/// request) it is refused and the subscription stays; a mail provider's one-click is not a form
/// with a token and still works.
async fn the_unsubscribe_button_needs_its_form_token(app: TestApp) {
    let unsubscribe = unsubscribe_path(&app, "reader@example.org").await;
    let v = app.visitor();
    v.get(&unsubscribe).await;
    let forged = v.post(&unsubscribe, &[("csrf_token", "not-the-token")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count("subscribers").await, 1);
    let response = reqwest::Client::new()
        .post(format!("{}{unsubscribe}", app.base_url()))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Unsubscribed.");
    assert_eq!(app.count("subscribers").await, 0);
}

/// The flow again with the real SMTP transport and a mail server (the sink) instead of files:
/// the confirmation, a publication made through the admin panel, the notification with its
/// unsubscribe headers, and the one-click unsubscribe it offers.
async fn the_whole_flow_over_smtp(app: TestApp) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let smtp_app = TestApp::spawn_with(app.backend(), |config| config.email_url = url)
        .await
        .unwrap();
    let received = |subject: &str| -> Vec<Mail> {
        sink.messages()
            .iter()
            .map(|raw| Mail::parse(raw))
            .filter(|mail| mail.subject == subject)
            .collect()
    };
    let reader = smtp_app.visitor();
    reader
        .submit("/site/subscribe/", &[("email", "smtp.reader@example.org")])
        .await
        .assert_redirect("/site/subscribe/");
    assert!(
        sink.messages().is_empty(),
        "mail goes out from the worker, not the request"
    );
    smtp_app.run_jobs().await;
    let confirmation = received("Confirm your subscription to Folio");
    assert_eq!(confirmation.len(), 1);
    assert_eq!(confirmation[0].to, "smtp.reader@example.org");
    confirm(&reader, &path_of(&confirmation[0], "/site/subscribe/confirm/")).await;

    let staff = smtp_app.staff_visitor("editor@example.org").await;
    let category = smtp_app.create_category(&staff, "Dispatches").await;
    smtp_app
        .create_item(&staff, category, "Over the wire", true)
        .await;
    smtp_app.run_jobs().await;
    let notified = received("New on Folio: Over the wire");
    assert_eq!(notified.len(), 1, "one notification for one confirmed subscriber");
    let mail = &notified[0];
    assert_eq!(mail.to, "smtp.reader@example.org");
    assert!(
        mail.decoded.contains("Content-Type: text/plain") && mail.decoded.contains("Content-Type: text/html")
    );
    assert!(mail.decoded.contains("/site/items/dispatches/over-the-wire/"));
    assert!(
        mail.decoded
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    let deliveries = delivery::Entity::find()
        .filter(delivery::Column::State.eq(delivery::SENT))
        .all(smtp_app.db())
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);

    // What a mail client does with List-Unsubscribe-Post: a POST with no cookies or token.
    let unsubscribe = path_of(mail, "/site/unsubscribe/");
    let response = reqwest::Client::new()
        .post(format!("{}{unsubscribe}", smtp_app.base_url()))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(smtp_app.count("subscribers").await, 0);
    smtp_app.finish().await;
}

/// Deliveries sent before the upgrade survive m0006 (the foreign key on `subscriber_id` turns
/// from CASCADE to SET NULL, a table rebuild on SQLite), and from then on outlive their
/// subscriber; rolled back, the old rule (cascade) is in force again. Run against a database
/// with data, on each backend.
async fn deliveries_outlive_their_subscribers_across_the_m0006_upgrade(app: TestApp) {
    use folio_db::{Migrator, MigratorTrait};
    let m0006 = "m0006_jobs_kept";
    let applied = |db: folio_db::DatabaseConnection| async move {
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .iter()
            .any(|migration| migration.name() == "m0006_jobs_kept")
    };
    // Back to the schema before m0006 (and whatever came after it).
    while applied(app.db().clone()).await {
        Migrator::down(app.db(), Some(1)).await.unwrap();
    }
    let readers = app.seed_subscribers("reader", 3, true).await;
    let item = publish(&app, "Before the upgrade").await;
    assert_eq!(notifications(&app, "Before the upgrade").await.len(), 3);
    let mut before = delivery::Entity::find().all(app.db()).await.unwrap();
    before.sort_by_key(|d| d.id);
    assert_eq!(before.len(), 3);
    // The old rule: a deleted subscriber takes their delivery along. The newest delivery
    // goes, so that the rebuilt SQLite table must carry the id sequence over.
    let newest_reader = before[2].subscriber_id.unwrap();
    subscriber::Entity::delete_by_id(newest_reader)
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(app.count("deliveries").await, 2);

    Migrator::up(app.db(), None).await.unwrap();
    assert!(applied(app.db().clone()).await, "{m0006} applied again");
    let mut after = delivery::Entity::find().all(app.db()).await.unwrap();
    after.sort_by_key(|d| d.id);
    assert_eq!(after, before[..2], "every row kept as it was");
    // The new rule, for subscribers deleted outright as much as through the queries.
    let gone = before[0].subscriber_id.unwrap();
    subscriber::Entity::delete_by_id(gone)
        .exec(app.db())
        .await
        .unwrap();
    let kept = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(item))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(kept.len(), 2);
    let orphan = kept.iter().find(|d| d.id == before[0].id).unwrap();
    assert_eq!(orphan.subscriber_id, None);
    assert_eq!(orphan.state, delivery::SENT);
    assert!(readers.iter().any(|r| r.id == gone));
    // New deliveries get new ids after the rebuilt table's (SQLite keeps its sequence).
    let later = publish(&app, "After the upgrade").await;
    assert_eq!(notifications(&app, "After the upgrade").await.len(), 1);
    let newest = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(later))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(newest.id > before[2].id, "{newest:?}");
}

/// A worker killed between claiming a delivery and recording its outcome leaves it `sending`:
/// the queue never sends it again. After two minutes the item's admin page lists it, and staff
/// may send it again on purpose; one claimed only seconds ago is still being sent, and is left.
async fn deliveries_in_doubt_are_listed_and_resent_on_purpose(app: TestApp) {
    let readers = app.seed_subscribers("doubt", 3, true).await;
    let item = publish(&app, "Doubtful").await;
    app.run_jobs().await;
    assert_eq!(notifications(&app, "Doubtful").await.len(), 3);
    let sent = deliveries_of(&app, item).await;
    let claimed = |d: &delivery::Model, ago: i64| delivery::ActiveModel {
        id: Set(d.id),
        state: Set(delivery::SENDING.into()),
        updated_at: Set(chrono::Utc::now() - chrono::TimeDelta::seconds(ago)),
        ..Default::default()
    };
    // Two claimed three minutes ago by a worker that died; one claimed just now.
    for (d, ago) in sent.iter().zip([180, 180, 10]) {
        claimed(d, ago).update(app.db()).await.unwrap();
    }
    let email_of = |d: &delivery::Model| {
        readers
            .iter()
            .find(|r| Some(r.id) == d.subscriber_id)
            .unwrap()
            .email
            .clone()
    };

    let staff = app.staff_visitor("staff@example.org").await;
    let page_path = format!("/admin/items/{item}/");
    let page = staff.get(&page_path).await;
    page.assert_contains("2 in doubt");
    page.assert_contains(&email_of(&sent[0]));
    page.assert_contains(&email_of(&sent[1]));
    assert!(
        !page.body.contains(&email_of(&sent[2])),
        "a delivery being sent now is not in doubt"
    );

    let resend = format!("/admin/items/{item}/deliveries/resend/");
    staff
        .submit_via(&page_path, &resend, &[])
        .await
        .assert_redirect(&page_path);
    staff
        .get(&page_path)
        .await
        .assert_contains("2 notification emails queued to be sent again.");
    app.run_jobs().await;
    let again = notifications(&app, "Doubtful").await;
    assert_eq!(again.len(), 5, "the two in doubt went again, nobody else");
    for d in &sent[..2] {
        assert_eq!(again.iter().filter(|m| m.to == email_of(d)).count(), 2);
    }
    let states: Vec<String> = deliveries_of(&app, item)
        .await
        .into_iter()
        .map(|d| d.state)
        .collect();
    assert_eq!(states, [delivery::SENT, delivery::SENT, delivery::SENDING]);
    let audit = staff.get("/admin/audit-log/").await;
    audit.assert_contains("Sent 2 notification emails of item “Doubtful” again");

    // Nothing left in doubt: the button's form, posted again, changes nothing.
    staff
        .submit_via(&page_path, &resend, &[])
        .await
        .assert_redirect(&page_path);
    staff
        .get(&page_path)
        .await
        .assert_contains("No notification email of this item is in doubt any more.");
    assert_eq!(notifications(&app, "Doubtful").await.len(), 5);
}

/// The item's deliveries, oldest first.
async fn deliveries_of(app: &TestApp, item: i64) -> Vec<delivery::Model> {
    let mut found = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(item))
        .all(app.db())
        .await
        .unwrap();
    found.sort_by_key(|d| d.id);
    found
}
