//! Several editors writing at once while the worker sends notifications: every write waits
//! its turn and succeeds. On SQLite a deferred transaction that reads first could not upgrade
//! to a write while another connection wrote, and failed at once with "database is locked"
//! (SQLITE_BUSY_SNAPSHOT) instead of waiting out the busy timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use folio_testkit::{PASSWORD, TestApp, Visitor, backend_tests};

backend_tests!(
    editors_write_at_once_while_the_worker_sends,
    notes_forms_sessions_and_views_at_once,
);

const EDITORS: usize = 4;

/// The job worker running the queue in a loop, as `folio worker` does, until stopped.
pub(crate) struct BusyWorker {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl BusyWorker {
    pub(crate) fn start(app: &TestApp) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (app, stop) = (app.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    app.run_jobs().await;
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }
        });
        Self { stop, task }
    }

    pub(crate) async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
    }
}
const ITEMS_EACH: usize = 8;

/// Adds, edits and deletes `ITEMS_EACH` published items; returns the status of every write.
async fn edit_items(staff: Visitor, editor: usize, category: String) -> Vec<(String, u16)> {
    let mut statuses = Vec::new();
    for n in 0..ITEMS_EACH {
        let title = format!("Item {n} of editor {editor}");
        let mut fields = vec![
            ("title", title.as_str()),
            ("slug", ""),
            ("category", category.as_str()),
            ("summary", "Summary."),
            ("body", "Body."),
            ("status", "published"),
        ];
        let added = staff.submit("/admin/items/add/", &fields).await;
        statuses.push(("add".to_owned(), added.status.as_u16()));
        let Some(id) = added.redirect_id("/admin/items/") else {
            continue;
        };
        fields[4] = ("body", "Edited body.");
        let edited = staff.submit(&format!("/admin/items/{id}/"), &fields).await;
        statuses.push(("edit".to_owned(), edited.status.as_u16()));
        let deleted = staff.submit(&format!("/admin/items/{id}/delete/"), &[]).await;
        statuses.push(("delete".to_owned(), deleted.status.as_u16()));
    }
    statuses
}

async fn editors_write_at_once_while_the_worker_sends(app: TestApp) {
    app.seed_subscribers("reader", 50, true).await;
    let category = app.seed_category("News").await.id.to_string();
    let mut editors = Vec::new();
    for editor in 0..EDITORS {
        editors.push(app.staff_visitor(&format!("editor{editor}@example.org")).await);
    }
    // The worker, busy with the notifications the publications queue.
    let worker = BusyWorker::start(&app);
    let tasks: Vec<_> = editors
        .into_iter()
        .enumerate()
        .map(|(editor, staff)| tokio::spawn(edit_items(staff, editor, category.clone())))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.unwrap());
    }
    worker.stop().await;

    let failed: Vec<&(String, u16)> = statuses.iter().filter(|(_, status)| *status >= 400).collect();
    eprintln!(
        "concurrency ({:?}): {} writes by {EDITORS} editors, {} failed: {failed:?}",
        app.backend(),
        statuses.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        statuses.len(),
        EDITORS * ITEMS_EACH * 3,
        "every add led to an edit and a delete"
    );
    assert_eq!(app.count("items").await, 0, "every item was deleted");
    app.finish().await;
}

/// A user's whole life in the notes app: sign-up and sign-in (session writes), a pad, notes
/// created, edited and deleted, the pad renamed and deleted, sign-out.
async fn note_writer(app: TestApp, n: usize) -> Vec<(String, u16)> {
    let v = app.visitor();
    let email = format!("writer{n}@example.org");
    let mut statuses = vec![
        (
            "sign up".to_owned(),
            v.sign_up(&email, PASSWORD).await.status.as_u16(),
        ),
        (
            "sign in".to_owned(),
            v.sign_in(&email, PASSWORD).await.status.as_u16(),
        ),
    ];
    let pad = v.create_pad(&format!("Pad {n}")).await;
    let pad_field = pad.to_string();
    for i in 0..4 {
        let name = format!("Note {i}");
        let created = v
            .submit(
                "/notes/create/",
                &[("name", &name), ("text", "Text."), ("pad", &pad_field)],
            )
            .await;
        statuses.push(("note".to_owned(), created.status.as_u16()));
    }
    for id in v.get(&format!("/pads/{pad}/")).await.note_ids() {
        let edit = format!("/notes/{id}/edit/");
        let edited = v
            .submit(
                &edit,
                &[("name", "Edited"), ("text", "New text."), ("pad", &pad_field)],
            )
            .await;
        statuses.push(("note edit".to_owned(), edited.status.as_u16()));
    }
    let first = v.get(&format!("/pads/{pad}/")).await.note_ids()[0];
    let deleted = v.submit(&format!("/notes/{first}/delete/"), &[]).await;
    statuses.push(("note delete".to_owned(), deleted.status.as_u16()));
    let renamed = v
        .submit(&format!("/pads/{pad}/edit/"), &[("name", "Renamed")])
        .await;
    statuses.push(("pad edit".to_owned(), renamed.status.as_u16()));
    let pad_deleted = v.submit(&format!("/pads/{pad}/delete/"), &[]).await;
    statuses.push(("pad delete".to_owned(), pad_deleted.status.as_u16()));
    let out = v.submit("/signout/", &[]).await;
    statuses.push(("sign out".to_owned(), out.status.as_u16()));
    statuses
}

/// Public forms: subscriptions and contact messages (within the per-client hourly limit).
async fn form_poster(app: TestApp) -> Vec<(String, u16)> {
    let v = app.visitor();
    let mut statuses = Vec::new();
    for i in 0..2 {
        let email = format!("subscriber{i}@example.org");
        let page = v.submit("/site/subscribe/", &[("email", &email)]).await;
        statuses.push(("subscribe".to_owned(), page.status.as_u16()));
        let fields = [
            ("name", "Ada"),
            ("email", "ada@example.org"),
            ("subject", "Hi"),
            ("message", "Hello."),
        ];
        let page = v.submit("/site/contact/", &fields).await;
        statuses.push(("contact".to_owned(), page.status.as_u16()));
    }
    statuses
}

/// Reads an item page `times` times, flushing the view counts now and then as the web
/// process does.
async fn reader(app: TestApp, path: String, times: usize) -> Vec<(String, u16)> {
    let v = app.visitor();
    let mut statuses = Vec::new();
    for i in 0..times {
        statuses.push(("item page".to_owned(), v.get(&path).await.status.as_u16()));
        if i % 5 == 4 {
            let flushed = app.state().views.flush(app.db()).await;
            statuses.push(("view flush".to_owned(), if flushed.is_ok() { 200 } else { 500 }));
        }
    }
    statuses
}

async fn notes_forms_sessions_and_views_at_once(app: TestApp) {
    app.seed_subscribers("reader", 30, true).await;
    let staff = app.staff_visitor("editor@example.org").await;
    let category = app.seed_category("News").await;
    let item = app.seed_item(&category, "Read me", true).await;
    let item_path = format!("/site/items/{}/{}/", category.slug, item.slug);
    let worker = BusyWorker::start(&app);
    let mut tasks = Vec::new();
    for n in 0..3 {
        tasks.push(tokio::spawn(note_writer(app.clone(), n)));
    }
    tasks.push(tokio::spawn(form_poster(app.clone())));
    tasks.push(tokio::spawn(reader(app.clone(), item_path, 30)));
    tasks.push(tokio::spawn(edit_items(staff, 0, category.id.to_string())));
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.unwrap());
    }
    worker.stop().await;
    app.run_jobs().await;
    app.state().views.flush(app.db()).await.unwrap();

    let failed: Vec<&(String, u16)> = statuses.iter().filter(|(_, status)| *status >= 400).collect();
    eprintln!(
        "concurrency ({:?}): {} requests on every path, {} failed: {failed:?}",
        app.backend(),
        statuses.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:?}");
    // No write lost: everything created was deleted, every form and view counted.
    assert_eq!((app.count("notes").await, app.count("pads").await), (0, 0));
    assert_eq!(app.count("contact_messages").await, 2);
    assert_eq!(app.count("subscribers").await, 32);
    assert_eq!(app.count("items").await, 1);
    assert_eq!(app.item(item.id).await.view_count, 30);
    app.finish().await;
}
