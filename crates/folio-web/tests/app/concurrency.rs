//! Several editors writing at once while the worker sends notifications: every write waits
//! its turn and succeeds. On SQLite a deferred transaction that reads first could not upgrade
//! to a write while another connection wrote, and failed at once with "database is locked"
//! (SQLITE_BUSY_SNAPSHOT) instead of waiting out the busy timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use folio_testkit::{TestApp, Visitor, backend_tests};

backend_tests!(editors_write_at_once_while_the_worker_sends);

const EDITORS: usize = 4;
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
        let Some(id) = added
            .location()
            .and_then(|to| to.strip_prefix("/admin/items/"))
            .and_then(|rest| rest.trim_end_matches('/').parse::<i64>().ok())
        else {
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
    let stop = Arc::new(AtomicBool::new(false));
    let worker = tokio::spawn({
        let (app, stop) = (app.clone(), stop.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                app.run_jobs().await;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
    });
    let tasks: Vec<_> = editors
        .into_iter()
        .enumerate()
        .map(|(editor, staff)| tokio::spawn(edit_items(staff, editor, category.clone())))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    worker.await.unwrap();

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
