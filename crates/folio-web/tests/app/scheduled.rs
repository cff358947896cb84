//! Scheduled publishing: an item saved as Scheduled goes live, and its subscribers are notified,
//! when the queue's `publish_scheduled` job comes due; never before, and once however the
//! schedule was changed on the way.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use folio_db::entities::{audit_entry, item};
use folio_jobs::Job;
use folio_jobs::jobs::PublishScheduled;
use folio_testkit::{TestApp, Visitor, backend_tests};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

backend_tests!(
    a_scheduled_item_goes_live_and_notifies_once_at_its_time,
    moving_or_cancelling_a_schedule_leaves_the_old_job_harmless,
    publishing_a_scheduled_item_now_takes_the_current_time,
    a_bad_publish_time_is_a_field_error_and_changes_nothing,
);

const TITLE: &str = "Launch notes";

/// The item form's fields for `status` and `publish_at`.
fn fields<'a>(category: &'a str, status: &'a str, publish_at: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", TITLE),
        ("slug", ""),
        ("category", category),
        ("summary", "What is new."),
        ("body", "It *ships*."),
        ("status", status),
        ("publish_at", publish_at),
    ]
}

/// `at` as the form's `datetime-local` input sends it with seconds.
fn input(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A staff visitor, a category, and `subscribers` confirmed subscribers.
async fn newsroom(app: &TestApp, subscribers: usize) -> (Visitor, String) {
    let staff = app.staff_visitor("editor@example.org").await;
    let category = app.create_category(&staff, "News").await;
    app.seed_subscribers("reader", subscribers, true).await;
    (staff, category.to_string())
}

/// Creates the item through the form with `status` and `publish_at`; returns its id.
async fn add(staff: &Visitor, category: &str, status: &str, publish_at: &str) -> i64 {
    let page = staff
        .submit("/admin/items/add/", &fields(category, status, publish_at))
        .await;
    page.redirect_id("/admin/items/")
        .unwrap_or_else(|| panic!("item not saved ({}): {}", page.status, page.body))
}

async fn notifications(app: &TestApp) -> usize {
    app.mails()
        .await
        .iter()
        .filter(|mail| mail.subject.ends_with(TITLE))
        .count()
}

async fn scheduled_jobs(app: &TestApp) -> usize {
    use folio_db::entities::job;
    job::Entity::find()
        .filter(job::Column::Kind.eq(PublishScheduled::KIND))
        .filter(job::Column::State.eq(job::QUEUED))
        .all(app.db())
        .await
        .unwrap()
        .len()
}

async fn public_status(app: &TestApp) -> u16 {
    app.visitor()
        .get("/site/items/news/launch-notes/")
        .await
        .status
        .as_u16()
}

async fn a_scheduled_item_goes_live_and_notifies_once_at_its_time(app: TestApp) {
    let (staff, category) = newsroom(&app, 3).await;
    let at = (Utc::now() + chrono::Duration::seconds(3)).trunc_subsecs(0);
    let id = add(&staff, &category, "scheduled", &input(at)).await;

    let saved = app.item(id).await;
    assert_eq!(saved.status, item::SCHEDULED);
    assert_eq!(saved.published_at, Some(at));
    staff
        .get(&format!("/admin/items/{id}/"))
        .await
        .assert_contains("it will be published, and subscribers notified, at");
    assert_eq!(public_status(&app).await, 404, "not public before its time");

    // Run the queue as a worker polls it until the item is live: never before its time, and
    // nobody is notified while it waits.
    let deadline = at + chrono::Duration::seconds(15);
    loop {
        app.run_jobs().await;
        let now = Utc::now();
        let stored = app.item(id).await;
        if stored.status == item::PUBLISHED {
            assert!(now >= at, "published at {now}, before its time {at}");
            break;
        }
        assert_eq!(stored.status, item::SCHEDULED);
        assert_eq!(notifications(&app).await, 0, "notified before publication");
        assert!(now < deadline, "not published 15 s after its time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let live = app.item(id).await;
    assert_eq!(live.published_at, Some(at), "the feed shows the scheduled time");
    assert_eq!(public_status(&app).await, 200);
    assert_eq!(notifications(&app).await, 3, "one email per subscriber");
    // The job again (a retry after a crash) changes nothing and sends nothing.
    PublishScheduled { item_id: id, at }
        .run(&app.worker_context())
        .await
        .unwrap();
    assert_eq!(notifications(&app).await, 3);

    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::ObjectType.eq("item"))
        .filter(audit_entry::Column::ObjectId.eq(id))
        .all(app.db())
        .await
        .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "schedule", "publish"]);
    let publish = entries.last().unwrap();
    assert_eq!(publish.actor_id, None, "published by Folio, not a person");
    staff
        .get(&format!("/admin/items/{id}/history/"))
        .await
        .assert_contains("at its scheduled time");
}

async fn moving_or_cancelling_a_schedule_leaves_the_old_job_harmless(app: TestApp) {
    let (staff, category) = newsroom(&app, 2).await;
    // Seconds ahead, not one: a busy CI machine once took longer than that to post the form,
    // and the form rightly refused a time already past.
    let soon = (Utc::now() + chrono::Duration::seconds(4)).trunc_subsecs(0);
    let id = add(&staff, &category, "scheduled", &input(soon)).await;
    let path = format!("/admin/items/{id}/");

    // Moved an hour later: a second job; the first one, when due, finds nothing to do.
    let later = soon + chrono::Duration::hours(1);
    staff
        .submit(&path, &fields(&category, "scheduled", &input(later)))
        .await
        .assert_redirect(&path);
    assert_eq!(scheduled_jobs(&app).await, 2);
    // Saving the same time again queues nothing new.
    staff
        .submit(&path, &fields(&category, "scheduled", &input(later)))
        .await
        .assert_redirect(&path);
    assert_eq!(scheduled_jobs(&app).await, 2);
    // Until the first time has passed, so its job is due.
    let until_due = (soon - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_due + Duration::from_millis(300)).await;
    app.run_jobs().await;
    let stored = app.item(id).await;
    assert_eq!(stored.status, item::SCHEDULED, "the old time's job did nothing");
    assert_eq!(stored.published_at, Some(later));
    assert_eq!(scheduled_jobs(&app).await, 1, "the later job waits");

    // Back to a draft: the schedule is gone, and the waiting job (run early here, as if the
    // hour had passed) publishes nothing.
    staff
        .submit(&path, &fields(&category, "draft", ""))
        .await
        .assert_redirect(&path);
    let draft = app.item(id).await;
    assert_eq!(draft.status, item::DRAFT);
    assert_eq!(
        draft.published_at, None,
        "a cancelled schedule is not a publication"
    );
    PublishScheduled {
        item_id: id,
        at: later,
    }
    .run(&app.worker_context())
    .await
    .unwrap();
    assert_eq!(app.item(id).await.status, item::DRAFT);
    assert_eq!(notifications(&app).await, 0);
    assert_eq!(public_status(&app).await, 404);
}

async fn publishing_a_scheduled_item_now_takes_the_current_time(app: TestApp) {
    let (staff, category) = newsroom(&app, 2).await;
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).trunc_subsecs(0);
    let id = add(&staff, &category, "scheduled", &input(tomorrow)).await;

    // The bulk action publishes it at once, with today's date, and notifies once.
    let before = Utc::now().trunc_subsecs(0);
    let ids = id.to_string();
    staff
        .submit_via(
            &format!("/admin/items/bulk/?action=publish&ids={id}"),
            "/admin/items/bulk/",
            &[("action", "publish"), ("ids", &ids)],
        )
        .await
        .assert_redirect("/admin/items/");
    let live = app.item(id).await;
    assert_eq!(live.status, item::PUBLISHED);
    let published_at = live.published_at.unwrap();
    assert!(
        published_at >= before && published_at < tomorrow,
        "{published_at}"
    );
    assert_eq!(notifications(&app).await, 2);

    // Tomorrow's job finds it published already.
    PublishScheduled {
        item_id: id,
        at: tomorrow,
    }
    .run(&app.worker_context())
    .await
    .unwrap();
    assert_eq!(app.item(id).await.published_at, Some(published_at));
    assert_eq!(notifications(&app).await, 2);
}

async fn a_bad_publish_time_is_a_field_error_and_changes_nothing(app: TestApp) {
    let (staff, category) = newsroom(&app, 1).await;
    let past = input(Utc::now() - chrono::Duration::minutes(5));
    let cases = [
        ("", "Enter the date and time (UTC) to publish at."),
        ("tomorrow", "Enter a valid date and time"),
        ("2026-13-45T99:99", "Enter a valid date and time"),
        (past.as_str(), "Choose a time in the future"),
    ];
    for (publish_at, message) in cases {
        let page = staff
            .submit("/admin/items/add/", &fields(&category, "scheduled", publish_at))
            .await;
        assert_eq!(page.status, 422, "{publish_at:?}");
        page.assert_contains(message);
        page.assert_contains("id=\"err_publish_at\"");
    }
    assert_eq!(app.count("items").await, 0);
    assert_eq!(scheduled_jobs(&app).await, 0);

    // The time is ignored unless the status is Scheduled.
    let id = add(&staff, &category, "draft", "not a time").await;
    assert_eq!(app.item(id).await.published_at, None);
}
