//! The write paths `concurrency` leaves out, all at once while two workers run the queue:
//! every admin action (categories, item and category bulk actions, users, subscribers,
//! contact messages, jobs), account settings, password resets, image uploads with their
//! resize jobs, and SES bounce notifications. No 5xx and no lost write, on each backend.

use chrono::Utc;
use folio_db::entities::{audit_entry, contact_message, job, user};
use folio_testkit::{PASSWORD, SnsSigner, TestApp, Visitor, backend_tests, fixtures};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::concurrency::BusyWorker;

backend_tests!(admin_accounts_images_and_bounces_at_once);

const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:folio-ses-events";
const ACCOUNTS: usize = 3;
const SEEDED: usize = 6;

type Statuses = Vec<(String, u16)>;

/// Categories added, edited and deleted one by one and in bulk; items published, unpublished
/// and deleted in bulk.
async fn catalogue_editor(app: TestApp, staff: Visitor) -> Statuses {
    let mut statuses = Statuses::new();
    let mut ids = Vec::new();
    for i in 0..4 {
        let name = format!("Shelf {i}");
        let fields = [
            ("name", name.as_str()),
            ("slug", ""),
            ("summary", "About it."),
            ("position", "0"),
        ];
        let added = staff.submit("/admin/categories/add/", &fields).await;
        statuses.push(("category add".into(), added.status.as_u16()));
        let Some(id) = added.redirect_id("/admin/categories/") else {
            continue;
        };
        let edit = format!("/admin/categories/{id}/");
        let (new_name, slug) = (format!("Renamed shelf {i}"), format!("renamed-shelf-{i}"));
        let renamed = [
            ("name", new_name.as_str()),
            ("slug", slug.as_str()),
            ("summary", "Now."),
            ("position", "1"),
        ];
        statuses.push((
            "category edit".into(),
            staff.submit(&edit, &renamed).await.status.as_u16(),
        ));
        ids.push(id);
    }
    let (one, rest) = ids.split_first().expect("categories were added");
    let deleted = staff
        .submit(&format!("/admin/categories/{one}/delete/"), &[])
        .await;
    statuses.push(("category delete".into(), deleted.status.as_u16()));
    let rest: Vec<String> = rest.iter().map(i64::to_string).collect();
    let query: String = rest.iter().map(|id| format!("&ids={id}")).collect();
    let bulk = staff
        .submit_via(
            &format!("/admin/categories/bulk/?action=delete{query}"),
            "/admin/categories/bulk/",
            &[("action", "delete"), ("ids", &rest.join(","))],
        )
        .await;
    statuses.push(("category bulk delete".into(), bulk.status.as_u16()));

    let shelf = app.create_category(&staff, "Bulk shelf").await;
    let mut items = Vec::new();
    for i in 0..4 {
        items.push(
            app.create_item(&staff, shelf, &format!("Bulk item {i}"), false)
                .await,
        );
    }
    let ids: Vec<String> = items.iter().map(i64::to_string).collect();
    let query: String = ids.iter().map(|id| format!("&ids={id}")).collect();
    for action in ["publish", "unpublish", "delete"] {
        let page = staff
            .submit_via(
                &format!("/admin/items/bulk/?action={action}{query}"),
                "/admin/items/bulk/",
                &[("action", action), ("ids", &ids.join(","))],
            )
            .await;
        statuses.push((format!("item bulk {action}"), page.status.as_u16()));
    }
    let deleted = staff
        .submit(&format!("/admin/categories/{shelf}/delete/"), &[])
        .await;
    statuses.push(("category delete".into(), deleted.status.as_u16()));
    statuses
}

/// Users made staff and back, deactivated and back; subscribers and contact messages deleted;
/// failed jobs retried and deleted.
async fn people_keeper(staff: Visitor, people: People) -> Statuses {
    let mut statuses = Statuses::new();
    for id in &people.users {
        for (switch, value) in [
            ("staff", "on"),
            ("staff", "off"),
            ("active", "off"),
            ("active", "on"),
        ] {
            let page = staff
                .submit_via(
                    &format!("/admin/users/{id}/{switch}/?value={value}"),
                    &format!("/admin/users/{id}/{switch}/"),
                    &[("value", value)],
                )
                .await;
            statuses.push((format!("user {switch} {value}"), page.status.as_u16()));
        }
    }
    for id in &people.subscribers {
        let page = staff
            .submit(&format!("/admin/subscribers/{id}/delete/"), &[])
            .await;
        statuses.push(("subscriber delete".into(), page.status.as_u16()));
    }
    for id in &people.messages {
        let page = staff
            .submit(&format!("/admin/contact-messages/{id}/delete/"), &[])
            .await;
        statuses.push(("message delete".into(), page.status.as_u16()));
    }
    for id in &people.failed_jobs {
        let path = format!("/admin/jobs/{id}/");
        let retried = staff.submit_via(&path, &format!("{path}retry/"), &[]).await;
        statuses.push(("job retry".into(), retried.status.as_u16()));
    }
    statuses
}

/// The rows `people_keeper` works on, seeded before the rush.
struct People {
    users: Vec<i64>,
    subscribers: Vec<i64>,
    messages: Vec<i64>,
    failed_jobs: Vec<i64>,
}

async fn seed_people(app: &TestApp) -> People {
    let mut users = Vec::new();
    for n in 0..SEEDED {
        let email = format!("member{n}@example.org");
        app.visitor().register(&email).await;
        users.push(user_id(app, &email).await);
    }
    let subscribers = app
        .seed_subscribers("leaving", SEEDED, true)
        .await
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut messages = Vec::new();
    let mut failed_jobs = Vec::new();
    for n in 0..SEEDED {
        let message = contact_message::ActiveModel {
            name: Set(format!("Sender {n}")),
            email: Set(format!("sender{n}@example.org")),
            subject: Set("Hello".into()),
            message: Set("Text.".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        let id = contact_message::Entity::insert(message)
            .exec(app.db())
            .await
            .unwrap()
            .last_insert_id;
        messages.push(id);
        // A failed job whose retry has nothing left to do: the payload names no item.
        let job = folio_db::queries::jobs::enqueue(app.db(), "send_email", "{}", 3, Utc::now())
            .await
            .unwrap();
        failed_jobs.push(job);
    }
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(job::FAILED))
        .col_expr(job::Column::Attempts, Expr::value(3))
        .filter(job::Column::Id.is_in(failed_jobs.clone()))
        .exec(app.db())
        .await
        .unwrap();
    People {
        users,
        subscribers,
        messages,
        failed_jobs,
    }
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    folio_db::queries::users::find_by_email(app.db(), email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
        .id
}

/// A user who changes their password in the settings, forgets it, and resets it by the
/// emailed link (the mail is sent by whichever worker claims the job).
async fn account_owner(app: TestApp, n: usize) -> Statuses {
    let v = app.visitor();
    let email = format!("owner{n}@example.org");
    let mut statuses = vec![
        (
            "sign up".into(),
            v.sign_up(&email, PASSWORD).await.status.as_u16(),
        ),
        (
            "sign in".into(),
            v.sign_in(&email, PASSWORD).await.status.as_u16(),
        ),
    ];
    let fields = [
        ("old_password", PASSWORD),
        ("new_password1", "changed-secret-1"),
        ("new_password2", "changed-secret-1"),
    ];
    statuses.push((
        "settings".into(),
        v.submit("/settings/", &fields).await.status.as_u16(),
    ));
    let stranger = app.visitor();
    let asked = stranger.submit("/forgot-password/", &[("email", &email)]).await;
    statuses.push(("forgot password".into(), asked.status.as_u16()));
    let link = reset_link(&app, &email).await;
    let fields = [
        ("new_password1", "reset-secret-1"),
        ("new_password2", "reset-secret-1"),
    ];
    statuses.push((
        "reset".into(),
        stranger.submit(&link, &fields).await.status.as_u16(),
    ));
    let signed_in = app.visitor().sign_in(&email, "reset-secret-1").await;
    statuses.push(("sign in with the new password".into(), signed_in.status.as_u16()));
    statuses
}

/// The reset link mailed to `email`, waiting (up to 20 s) for a worker to send it.
async fn reset_link(app: &TestApp, email: &str) -> String {
    for _ in 0..200 {
        let link = app
            .mails()
            .await
            .iter()
            .filter(|mail| mail.to == email)
            .find_map(|mail| mail.link_containing("/forgot-password/"));
        if let Some(link) = link {
            let (_, token) = link.split_once("/forgot-password/").unwrap();
            return format!("/forgot-password/{token}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no reset mail to {email}");
}

/// Items with an image each: the upload, then the resize job a worker runs.
async fn photographer(app: TestApp, staff: Visitor) -> Statuses {
    let category = app.create_category(&staff, "Photos").await.to_string();
    let mut statuses = Statuses::new();
    for i in 0..3 {
        let title = format!("Photo {i}");
        let fields = [
            ("title", title.as_str()),
            ("slug", ""),
            ("category", &category),
            ("summary", "A picture."),
            ("body", "Body."),
            ("status", "published"),
        ];
        let page = staff
            .submit_file(
                "/admin/items/add/",
                "/admin/items/add/",
                &fields,
                Some(("photo.jpg", fixtures::jpeg(640, 480))),
            )
            .await;
        statuses.push(("item with image".into(), page.status.as_u16()));
    }
    statuses
}

/// SES telling us, through SNS, that addresses bounced.
async fn bounce_reporter(app: TestApp, signer: std::sync::Arc<SnsSigner>) -> Statuses {
    let mut statuses = Statuses::new();
    for n in 0..SEEDED {
        let body = signer.bounce(TOPIC, &format!("bounced{n}@example.org"), true);
        statuses.push(("ses bounce".into(), app.deliver_sns(body).await));
    }
    statuses
}

async fn admin_accounts_images_and_bounces_at_once(app: TestApp) {
    let signer = std::sync::Arc::new(SnsSigner::start().await);
    let cert_host = signer.cert_host();
    let app = TestApp::spawn_with(app.backend(), |config| {
        config.ses_topic_arns = vec![TOPIC.to_owned()];
        config.sns_cert_host = Some(cert_host);
    })
    .await
    .unwrap();
    app.seed_subscribers("reader", 30, true).await;
    let people = seed_people(&app).await;
    let seeded_users = app.count("users").await;
    let (users, retried) = (people.users.clone(), people.failed_jobs.clone());
    let editor = app.staff_visitor("editor@example.org").await;
    let keeper = app.staff_visitor("keeper@example.org").await;
    let photo_editor = app.staff_visitor("photos@example.org").await;
    // Two workers, as two `folio worker` tasks would run: they compete for the same jobs.
    let workers = [BusyWorker::start(&app), BusyWorker::start(&app)];

    let mut tasks = vec![
        tokio::spawn(catalogue_editor(app.clone(), editor)),
        tokio::spawn(people_keeper(keeper, people)),
        tokio::spawn(photographer(app.clone(), photo_editor)),
        tokio::spawn(bounce_reporter(app.clone(), signer.clone())),
    ];
    for n in 0..ACCOUNTS {
        tasks.push(tokio::spawn(account_owner(app.clone(), n)));
    }
    let mut statuses = Statuses::new();
    for task in tasks {
        statuses.extend(task.await.unwrap());
    }
    for worker in workers {
        worker.stop().await;
    }
    app.run_jobs().await;

    let failed: Vec<&(String, u16)> = statuses.iter().filter(|(_, status)| *status >= 400).collect();
    eprintln!(
        "concurrency ({:?}): {} admin, account, image and hook writes, {} failed: {failed:?}",
        app.backend(),
        statuses.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:?}");
    // No write lost.
    assert_eq!(app.count("users").await, seeded_users + 3 + ACCOUNTS as i64);
    assert_eq!(
        app.count("categories").await,
        1,
        "only the photos' category is left"
    );
    assert_eq!(app.count("items").await, 3, "the bulk-deleted items are gone");
    assert_eq!(app.count("subscribers").await, 30);
    assert_eq!(app.count("contact_messages").await, 0);
    assert_eq!(app.count("email_suppressions").await, SEEDED as i64);
    assert_eq!(app.count("password_resets").await, ACCOUNTS as i64);
    // Beside the succeeded jobs, what is left are the retried jobs, whose empty payload fails
    // again, and nothing else.
    let left = job::Entity::find()
        .filter(job::Column::State.ne(job::SUCCEEDED))
        .all(app.db())
        .await
        .unwrap();
    assert!(
        left.iter().all(|job| retried.contains(&job.id)),
        "{left:#?} vs {retried:?}"
    );
    let retries = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("retry"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(retries.len(), SEEDED, "every retry was recorded");
    for id in users {
        let member = user::Entity::find_by_id(id).one(app.db()).await.unwrap().unwrap();
        assert!(
            !member.is_staff && member.is_active,
            "user {id} ended as switched last"
        );
    }
    app.finish().await;
}
