//! The admin panel: who gets in, categories and items (validation, publishing and its one
//! notification job, Markdown, bulk actions, refusals), with the audit log checked throughout.

use folio_db::entities::{audit_entry, item, job};
use folio_testkit::{NewItem, TestApp, backend_tests};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

backend_tests!(
    anonymous_visitors_are_sent_to_sign_in,
    only_active_staff_get_in_and_others_see_404,
    every_admin_page_renders_for_staff,
    add_and_change_a_category,
    category_validation_changes_nothing,
    unique_names_and_slugs_are_field_errors,
    deleting_a_category_with_items_is_refused,
    item_created_as_draft_then_published_enqueues_one_job,
    item_created_published_enqueues_one_job_and_edits_none,
    unpublishing_enqueues_nothing_and_keeps_published_at,
    item_validation_changes_nothing,
    markdown_is_sanitised_on_save_and_in_the_preview,
    bulk_publish_goes_through_a_confirmation_page,
    bulk_unpublish_and_delete_items,
    bulk_category_delete_refused_when_one_has_items,
    item_page_shows_delivery_counts,
    sent_notifications_stay_counted_after_unsubscribes_and_deletes,
    admin_posts_need_a_csrf_token,
    longest_titles_with_wide_letters_save_and_save_again,
    list_controls_read_like_the_django_admin,
    history_page_lists_an_objects_audit_entries,
    the_three_parts_link_to_each_other,
    the_save_buttons_go_where_they_say,
    every_field_error_is_reported_at_once_on_the_typed_field,
    the_admin_script_is_a_cached_file_and_lists_offer_select_all,
    required_fields_are_marked_and_the_server_still_checks_them,
    the_item_form_explains_markdown_and_previews_like_the_item_page,
);

/// Notification jobs in the queue, not yet run (the fan-out job of a publication).
async fn notify_jobs(app: &TestApp) -> u64 {
    job::Entity::find()
        .filter(job::Column::Kind.eq("notify_subscribers"))
        .filter(job::Column::State.is_in([job::QUEUED, job::RUNNING]))
        .count(app.db())
        .await
        .unwrap()
}

/// Audit rows with `action` on `object_type`.
async fn audits(app: &TestApp, action: &str, object_type: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .filter(audit_entry::Column::ObjectType.eq(object_type))
        .all(app.db())
        .await
        .unwrap()
}

fn item_fields<'a>(
    title: &'a str,
    category: &'a str,
    status: &'a str,
    body: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", ""),
        ("category", category),
        ("summary", "Summary."),
        ("body", body),
        ("status", status),
    ]
}

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    let v = app.visitor();
    for path in [
        "/admin/",
        "/admin/items/",
        "/admin/items/1/",
        "/admin/jobs/?state=failed",
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, 302, "{path}");
        let next = folio_web::forms::query_escape(path);
        assert_eq!(
            page.location(),
            Some(format!("/signin/?next={next}").as_str()),
            "{path}"
        );
    }
    let page = v.post("/admin/categories/add/", &[("name", "X")]).await;
    assert_eq!(page.status, 302);
    assert_eq!(app.count("categories").await, 0);
}

async fn only_active_staff_get_in_and_others_see_404(app: TestApp) {
    let user = app.visitor();
    user.register("user@example.org").await;
    for path in [
        "/admin/",
        "/admin/items/",
        "/admin/users/",
        "/admin/items/1/",
        "/admin/audit-log/",
    ] {
        let page = user.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.assert_contains("Page not found");
        page.assert_contains("user@example.org");
    }
    // A POST from a signed-in non-staff user is the same 404, whatever its token.
    let token = folio_testkit::csrf_token(&user.get("/settings/").await.body).unwrap();
    let page = user
        .post("/admin/categories/add/", &[("name", "X"), ("csrf_token", &token)])
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(app.count("categories").await, 0);

    let staff = app.staff_visitor("staff@example.org").await;
    let page = staff.get("/admin/").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Dashboard");

    // Staff status is read on every request: removing it closes the panel at once.
    app.set_staff("staff@example.org", false).await;
    assert_eq!(staff.get("/admin/").await.status, 404);
    app.set_staff("staff@example.org", true).await;
    assert_eq!(staff.get("/admin/").await.status, 200);
}

async fn every_admin_page_renders_for_staff(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let item = app.create_item(&staff, category, "First essay", false).await;
    for path in [
        "/admin/".to_owned(),
        "/admin/categories/".to_owned(),
        "/admin/categories/add/".to_owned(),
        format!("/admin/categories/{category}/"),
        format!("/admin/categories/{category}/delete/"),
        "/admin/items/".to_owned(),
        "/admin/items/add/".to_owned(),
        format!("/admin/items/{item}/"),
        format!("/admin/items/{item}/delete/"),
        "/admin/users/".to_owned(),
        "/admin/subscribers/".to_owned(),
        "/admin/contact-messages/".to_owned(),
        "/admin/jobs/".to_owned(),
        "/admin/audit-log/".to_owned(),
    ] {
        let page = staff.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        page.assert_contains("aria-label=\"Admin\"");
        page.assert_lacks("style=");
    }
    for missing in [
        "/admin/items/999/",
        "/admin/categories/999/",
        "/admin/items/abc/",
        "/admin/jobs/0/",
    ] {
        assert_eq!(staff.get(missing).await.status, 404, "{missing}");
    }
}

async fn add_and_change_a_category(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let page = staff
        .submit(
            "/admin/categories/add/",
            &[
                ("name", "Rust & Web"),
                ("slug", ""),
                ("summary", "All about it."),
                ("position", "2"),
            ],
        )
        .await;
    let location = page.location().unwrap().to_owned();
    let edit = staff.get(&location).await;
    edit.assert_contains("The category “Rust &#38; Web” was added.");
    edit.assert_contains("value=\"rust-web\"");
    let list = staff.get("/admin/categories/").await;
    list.assert_contains(">Rust &#38; Web</a>");
    list.assert_contains("1 result");

    staff
        .submit(
            &location,
            &[
                ("name", "Rust"),
                ("slug", "rust"),
                ("summary", "Shorter."),
                ("position", "1"),
            ],
        )
        .await
        .assert_redirect(&location);
    staff.get("/admin/categories/").await.assert_contains(">Rust</a>");
    assert_eq!(audits(&app, "create", "category").await.len(), 1);
    let updates = audits(&app, "update", "category").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].actor_email, "staff@example.org");
    assert!(updates[0].summary.contains("Rust"), "{}", updates[0].summary);
}

async fn category_validation_changes_nothing(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let long = "n".repeat(201);
    for (fields, field_error) in [
        (vec![("name", "  "), ("slug", "")], "This field is required."),
        (
            vec![("name", long.as_str()), ("slug", "ok")],
            "at most 200 characters",
        ),
        (
            vec![("name", "Fine"), ("slug", "Not A Slug")],
            "Enter a valid slug",
        ),
        (vec![("name", "!!!"), ("slug", "")], "no letters or digits"),
        (vec![("name", "Fine"), ("position", "-3")], "whole number"),
    ] {
        let page = staff.submit("/admin/categories/add/", &fields).await;
        assert_eq!(page.status, 422, "{fields:?}");
        page.assert_contains(field_error);
    }
    assert_eq!(app.count("categories").await, 0);
    assert_eq!(app.count("audit_log").await, 0);
}

async fn unique_names_and_slugs_are_field_errors(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let page = staff
        .submit("/admin/categories/add/", &[("name", "Essays"), ("slug", "other")])
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Category with this name already exists.");
    let page = staff
        .submit("/admin/categories/add/", &[("name", "Other"), ("slug", "essays")])
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Category with this slug already exists.");
    assert_eq!(app.count("categories").await, 1);

    let category = category.to_string();
    app.create_item(&staff, category.parse().unwrap(), "Taken title", false)
        .await;
    let mut fields = item_fields("Taken title", &category, "draft", "x");
    fields[1] = ("slug", "another-slug");
    let page = staff.submit("/admin/items/add/", &fields).await;
    assert_eq!(page.status, 422);
    page.assert_contains("Item with this title already exists.");
    let mut fields = item_fields("New title", &category, "draft", "x");
    fields[1] = ("slug", "taken-title");
    let page = staff.submit("/admin/items/add/", &fields).await;
    assert_eq!(page.status, 422);
    page.assert_contains("Item with this slug already exists.");
    assert_eq!(app.count("items").await, 1);
    assert_eq!(audits(&app, "create", "item").await.len(), 1);
}

async fn deleting_a_category_with_items_is_refused(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let one = app.create_item(&staff, category, "One", false).await;
    let two = app.create_item(&staff, category, "Two", false).await;
    let path = format!("/admin/categories/{category}/delete/");
    let confirm = staff.get(&path).await;
    confirm.assert_contains("still has 2 items; move or delete them first");
    confirm.assert_lacks("Yes, delete it");
    // The page lists (and links) the items in the way, and does not say it will delete.
    confirm.assert_contains(&format!(r#"<a href="/admin/items/{one}/">One</a>"#));
    confirm.assert_contains(&format!(r#"<a href="/admin/items/{two}/">Two</a>"#));
    confirm.assert_lacks("will be deleted");
    let page = staff.submit(&path, &[]).await;
    page.assert_redirect(&format!("/admin/categories/{category}/"));
    staff
        .get(&format!("/admin/categories/{category}/"))
        .await
        .assert_contains("The category “Essays” still has 2 items; move or delete them first.");
    assert_eq!(app.count("categories").await, 1);
    assert!(audits(&app, "delete", "category").await.is_empty());

    // Once empty, it goes.
    let empty = app.create_category(&staff, "Empty").await;
    let path = format!("/admin/categories/{empty}/delete/");
    staff
        .submit(&path, &[])
        .await
        .assert_redirect("/admin/categories/");
    assert_eq!(app.count("categories").await, 1);
    assert_eq!(audits(&app, "delete", "category").await.len(), 1);
}

async fn item_created_as_draft_then_published_enqueues_one_job(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Draft first", false).await;
    assert_eq!(notify_jobs(&app).await, 0);
    let stored = app.item(id).await;
    assert_eq!(stored.status, item::DRAFT);
    assert_eq!(stored.published_at, None);
    assert_eq!(stored.slug, "draft-first");

    let category = category.to_string();
    let path = format!("/admin/items/{id}/");
    staff
        .submit(
            &path,
            &item_fields("Draft first", &category, "published", "Now *live*."),
        )
        .await
        .assert_redirect(&path);
    assert_eq!(notify_jobs(&app).await, 1);
    let stored = app.item(id).await;
    assert_eq!(stored.status, item::PUBLISHED);
    assert!(stored.published_at.is_some());
    assert_eq!(stored.body_html, "<p>Now <em>live</em>.</p>\n");
    staff
        .get(&path)
        .await
        .assert_contains("published; subscribers will be notified");
    assert_eq!(audits(&app, "publish", "item").await.len(), 1);
    assert_eq!(audits(&app, "update", "item").await.len(), 1);
    app.run_jobs().await;
    assert_eq!(notify_jobs(&app).await, 0);
}

async fn item_created_published_enqueues_one_job_and_edits_none(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Straight out", true).await;
    assert_eq!(notify_jobs(&app).await, 1);
    let first = app.item(id).await;
    assert!(first.published_at.is_some());

    let category = category.to_string();
    let path = format!("/admin/items/{id}/");
    for body in ["Edited once.", "Edited twice."] {
        staff
            .submit(&path, &item_fields("Straight out", &category, "published", body))
            .await
            .assert_redirect(&path);
    }
    assert_eq!(
        notify_jobs(&app).await,
        1,
        "editing a published item enqueues nothing"
    );
    let after = app.item(id).await;
    assert_eq!(after.published_at, first.published_at);
    assert_eq!(after.body, "Edited twice.");
    assert_eq!(audits(&app, "publish", "item").await.len(), 1);
    assert_eq!(audits(&app, "update", "item").await.len(), 2);
}

async fn unpublishing_enqueues_nothing_and_keeps_published_at(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Back and forth", true).await;
    app.run_jobs().await;
    let published_at = app.item(id).await.published_at;
    let category = category.to_string();
    let path = format!("/admin/items/{id}/");
    staff
        .submit(&path, &item_fields("Back and forth", &category, "draft", "x"))
        .await
        .assert_redirect(&path);
    assert_eq!(notify_jobs(&app).await, 0);
    let stored = app.item(id).await;
    assert_eq!(stored.status, item::DRAFT);
    assert_eq!(stored.published_at, published_at);
}

async fn item_validation_changes_nothing(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await.to_string();
    let long = "s".repeat(201);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            item_fields("", &category, "draft", "x"),
            "This field is required.",
        ),
        (item_fields("T", "", "draft", "x"), "This field is required."),
        (item_fields("T", "999", "draft", "x"), "Select a valid category."),
        (
            item_fields("T", "abc", "published", "x"),
            "Select a valid category.",
        ),
        (
            item_fields("T", &category, "archived", "x"),
            "Select a valid status.",
        ),
        (
            vec![
                ("title", "T"),
                ("category", &category),
                ("summary", &long),
                ("status", "published"),
            ],
            "at most 200 characters",
        ),
        (
            vec![
                ("title", "T"),
                ("category", &category),
                ("summary", ""),
                ("status", "published"),
            ],
            "This field is required.",
        ),
    ];
    for (fields, error) in cases {
        let page = staff.submit("/admin/items/add/", &fields).await;
        assert_eq!(page.status, 422, "{fields:?}");
        page.assert_contains(error);
    }
    assert_eq!(app.count("items").await, 0);
    assert_eq!(app.count("jobs").await, 0);
    assert!(audits(&app, "create", "item").await.is_empty());
}

async fn markdown_is_sanitised_on_save_and_in_the_preview(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let body =
        "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))";
    let item = NewItem {
        title: "Hostile",
        body,
        ..NewItem::default()
    };
    let id = app.create_item_with(&staff, category, &item).await;
    let stored = app.item(id).await;
    assert_eq!(stored.body, body, "the Markdown is kept as typed");
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!stored.body_html.contains(bad), "{bad} in {}", stored.body_html);
    }
    assert!(stored.body_html.contains("<h1>Hi</h1>"));

    let category = category.to_string();
    let preview = staff
        .submit_via(
            &format!("/admin/items/{id}/"),
            &format!("/admin/items/{id}/preview/"),
            &item_fields("Hostile", &category, "draft", body),
        )
        .await;
    assert_eq!(preview.status, 200);
    preview.assert_contains("Preview (not saved)");
    preview.assert_contains(&stored.body_html);
    preview.assert_lacks("<script>alert(1)</script>");
    // Previewing a new item saves nothing.
    let before = app.count("items").await;
    let page = staff
        .submit_via(
            "/admin/items/add/",
            "/admin/items/preview/",
            &item_fields("Unsaved", &category, "published", "**bold**"),
        )
        .await;
    page.assert_contains("<strong>bold</strong>");
    assert_eq!(app.count("items").await, before);
    assert_eq!(notify_jobs(&app).await, 0);
}

async fn bulk_publish_goes_through_a_confirmation_page(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let a = app.create_item(&staff, category, "Alpha", false).await;
    let b = app.create_item(&staff, category, "Beta", false).await;
    let c = app.create_item(&staff, category, "Gamma", true).await;
    app.run_jobs().await;

    let confirm = staff
        .get(&format!(
            "/admin/items/bulk/?action=publish&ids={a}&ids={b}&ids={c}&ids=junk"
        ))
        .await;
    assert_eq!(confirm.status, 200);
    confirm.assert_contains("Publish 2 items");
    confirm.assert_contains("“Alpha” will be published");
    confirm.assert_contains("“Gamma” is already published: no change.");
    assert_eq!(
        notify_jobs(&app).await,
        0,
        "the confirmation page changes nothing"
    );
    assert_eq!(app.item(a).await.status, item::DRAFT);

    let ids = format!("{a},{b},{c}");
    let page = staff
        .submit_via(
            &format!("/admin/items/bulk/?action=publish&ids={a}"),
            "/admin/items/bulk/",
            &[("action", "publish"), ("ids", &ids)],
        )
        .await;
    page.assert_redirect("/admin/items/");
    staff
        .get("/admin/items/")
        .await
        .assert_contains("2 items were published.");
    assert_eq!(notify_jobs(&app).await, 2, "one job per newly published item");
    for id in [a, b] {
        let stored = app.item(id).await;
        assert_eq!(stored.status, item::PUBLISHED);
        assert!(stored.published_at.is_some());
    }
    assert_eq!(audits(&app, "publish", "item").await.len(), 3);

    // Nothing selected, or an unknown action: back to the list with a message, no change.
    let page = staff.get("/admin/items/bulk/?action=publish").await;
    page.assert_redirect("/admin/items/");
    staff
        .get("/admin/items/")
        .await
        .assert_contains("Select one or more items and an action.");
    staff
        .get(&format!("/admin/items/bulk/?action=explode&ids={a}"))
        .await
        .assert_redirect("/admin/items/");
}

async fn bulk_unpublish_and_delete_items(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let a = app.create_item(&staff, category, "Alpha", true).await;
    let b = app.create_item(&staff, category, "Beta", true).await;
    app.run_jobs().await;
    let both = format!("{a},{b}");
    let confirm = format!("/admin/items/bulk/?action=unpublish&ids={a}&ids={b}");
    staff.get(&confirm).await.assert_contains("Unpublish 2 items");
    staff
        .submit_via(
            &confirm,
            "/admin/items/bulk/",
            &[("action", "unpublish"), ("ids", &both)],
        )
        .await
        .assert_redirect("/admin/items/");
    assert_eq!(app.item(a).await.status, item::DRAFT);
    assert_eq!(notify_jobs(&app).await, 0);
    assert_eq!(audits(&app, "unpublish", "item").await.len(), 2);

    let confirm = format!("/admin/items/bulk/?action=delete&ids={a}");
    staff
        .get(&confirm)
        .await
        .assert_contains("“Alpha” will be deleted.");
    staff
        .submit_via(
            &confirm,
            "/admin/items/bulk/",
            &[("action", "delete"), ("ids", &a.to_string())],
        )
        .await
        .assert_redirect("/admin/items/");
    assert_eq!(app.count("items").await, 1);
    assert_eq!(audits(&app, "delete", "item").await.len(), 1);

    // The single-item delete.
    staff
        .submit(&format!("/admin/items/{b}/delete/"), &[])
        .await
        .assert_redirect("/admin/items/");
    assert_eq!(app.count("items").await, 0);
    assert_eq!(staff.get(&format!("/admin/items/{b}/")).await.status, 404);
}

async fn bulk_category_delete_refused_when_one_has_items(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let full = app.create_category(&staff, "Full").await;
    let empty = app.create_category(&staff, "Empty").await;
    app.create_item(&staff, full, "Occupant", false).await;
    let confirm = format!("/admin/categories/bulk/?action=delete&ids={full}&ids={empty}");
    let page = staff.get(&confirm).await;
    page.assert_contains("The category “Full” still has 1 item; move or delete them first.");
    page.assert_lacks("Yes, delete them");
    let ids = format!("{full},{empty}");
    staff
        .submit_via(
            &confirm,
            "/admin/categories/bulk/",
            &[("action", "delete"), ("ids", &ids)],
        )
        .await
        .assert_redirect("/admin/categories/");
    staff
        .get("/admin/categories/")
        .await
        .assert_contains("still has 1 item");
    assert_eq!(app.count("categories").await, 2, "all or nothing");
    assert!(audits(&app, "delete", "category").await.is_empty());

    let confirm = format!("/admin/categories/bulk/?action=delete&ids={empty}");
    staff
        .submit_via(
            &confirm,
            "/admin/categories/bulk/",
            &[("action", "delete"), ("ids", &empty.to_string())],
        )
        .await
        .assert_redirect("/admin/categories/");
    assert_eq!(app.count("categories").await, 1);
}

async fn item_page_shows_delivery_counts(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    for (n, email) in ["a@example.org", "b@example.org"].iter().enumerate() {
        folio_db::entities::subscriber::Entity::insert(folio_db::entities::subscriber::ActiveModel {
            email: sea_orm::Set((*email).to_owned()),
            user_id: sea_orm::Set(None),
            token: sea_orm::Set(format!("token-{n}")),
            confirmed: sea_orm::Set(true),
            created_at: sea_orm::Set(chrono::Utc::now()),
            confirmed_at: sea_orm::Set(Some(chrono::Utc::now())),
            ..Default::default()
        })
        .exec(app.db())
        .await
        .unwrap();
    }
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Announced", true).await;
    staff
        .get(&format!("/admin/items/{id}/"))
        .await
        .assert_contains("None yet.");
    app.run_jobs().await;
    let page = staff.get(&format!("/admin/items/{id}/")).await;
    page.assert_contains("Notification emails");
    page.assert_contains("sent: 2");
}

/// Deliveries are history: a reader who unsubscribes, and one whom staff delete, were still
/// sent the email, so the item keeps saying "sent: 3". A delivery not yet attempted goes with
/// its subscriber instead: it will never be sent.
async fn sent_notifications_stay_counted_after_unsubscribes_and_deletes(app: TestApp) {
    use folio_db::entities::delivery;
    let staff = app.staff_visitor("staff@example.org").await;
    let mut readers = app.seed_subscribers("reader", 3, true).await;
    // Tokens as the site makes them (64 hex characters), or the unsubscribe link ignores them.
    for (n, reader) in readers.iter_mut().enumerate() {
        reader.token = format!("{n:0>64}");
        folio_db::entities::subscriber::Entity::update(folio_db::entities::subscriber::ActiveModel {
            id: sea_orm::Set(reader.id),
            token: sea_orm::Set(reader.token.clone()),
            ..Default::default()
        })
        .exec(app.db())
        .await
        .unwrap();
    }
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Announced", true).await;
    assert_eq!(app.mails().await.len(), 3);
    let path = format!("/admin/items/{id}/");
    staff.get(&path).await.assert_contains("sent: 3");

    // The first reader uses the one-click unsubscribe of their mail client (a plain POST).
    let response = reqwest::Client::new()
        .post(format!(
            "{}/site/unsubscribe/{}/",
            app.base_url(),
            readers[0].token
        ))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Staff delete the second.
    staff
        .submit(&format!("/admin/subscribers/{}/delete/", readers[1].id), &[])
        .await
        .assert_redirect("/admin/subscribers/");
    assert_eq!(app.count("subscribers").await, 1);

    let page = staff.get(&path).await;
    page.assert_contains("sent: 3");
    page.assert_lacks("None yet.");
    let kept = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(id))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(
        kept.iter().filter(|d| d.subscriber_id.is_none()).count(),
        2,
        "the two deliveries outlive their subscribers: {kept:?}"
    );

    // A second item is fanned out but not yet sent when the last reader unsubscribes: their
    // pending delivery goes, and nothing is sent or counted.
    let second = app.create_item(&staff, category, "Unsent", true).await;
    assert_eq!(
        folio_db::queries::deliveries::fan_out(app.db(), second)
            .await
            .unwrap(),
        1
    );
    app.visitor()
        .submit(&format!("/site/unsubscribe/{}/", readers[2].token), &[])
        .await
        .assert_contains("You are unsubscribed");
    assert_eq!(app.mails().await.len(), 3, "no new mail");
    staff
        .get(&format!("/admin/items/{second}/"))
        .await
        .assert_contains("None yet.");
    staff.get(&path).await.assert_contains("sent: 3");
    assert_eq!(app.count("deliveries").await, 3);
}

async fn admin_posts_need_a_csrf_token(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    for path in [
        "/admin/categories/add/".to_owned(),
        format!("/admin/categories/{category}/delete/"),
        "/admin/items/bulk/".to_owned(),
        "/admin/users/1/active/".to_owned(),
    ] {
        let page = staff
            .post(&path, &[("name", "X"), ("csrf_token", "forged")])
            .await;
        assert_eq!(page.status, 403, "{path}");
    }
    assert_eq!(app.count("categories").await, 1);
}

/// The item form as staff see it after a preview (CSRF token, stylesheet and script hashes
/// replaced), so any change to the admin's main form is a reviewed snapshot change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_form_with_preview_snapshot() {
    let app = TestApp::spawn(folio_testkit::Backend::Sqlite).await.unwrap();
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Snapshot", false).await;
    let category = category.to_string();
    let page = staff
        .submit_via(
            &format!("/admin/items/{id}/"),
            &format!("/admin/items/{id}/preview/"),
            &item_fields(
                "Snapshot",
                &category,
                "draft",
                "## Heading\n\nA [link](https://example.org/) and <b onclick=x>bold</b>.",
            ),
        )
        .await;
    let token = folio_testkit::csrf_token(&page.body).unwrap();
    let html = page
        .body
        .replace(&token, "[csrf-token]")
        .replace(folio_web::layout::CSS_URL.as_str(), "[stylesheet]")
        .replace(folio_web::features::admin::SCRIPT_URL.as_str(), "[script]");
    insta::assert_snapshot!(html);
    app.finish().await;
}

/// A title of the maximum 200 characters whose letters widen in its slug ("ß" → "ss"): the
/// derived slug fits its 200-character column on every backend, and saving the form again
/// unchanged (slug field now filled in) succeeds.
async fn longest_titles_with_wide_letters_save_and_save_again(app: TestApp) {
    let staff = app.staff_visitor("editor@example.org").await;
    let category = app.create_category(&staff, "News").await;
    let title = format!("{} {}End", "x".repeat(7), "Straße ".repeat(27));
    assert_eq!(title.chars().count(), 200);
    let id = app.create_item(&staff, category, &title, false).await;
    let saved = app.item(id).await;
    assert_eq!(saved.title, title);
    assert!(
        saved.slug.len() <= 200 && saved.slug.ends_with("-strasse"),
        "{}",
        saved.slug
    );
    let category = category.to_string();
    staff
        .submit(
            &format!("/admin/items/{id}/"),
            &[
                ("title", title.as_str()),
                ("slug", saved.slug.as_str()),
                ("category", category.as_str()),
                ("summary", "Summary."),
                ("body", "Body."),
                ("status", "draft"),
            ],
        )
        .await
        .assert_redirect(&format!("/admin/items/{id}/"));
    // One character more is the title's own field error, not a database error.
    let long = format!("{title}ß");
    let refused = staff
        .submit(
            "/admin/items/add/",
            &[
                ("title", long.as_str()),
                ("slug", ""),
                ("category", category.as_str()),
                ("summary", "Summary."),
                ("body", "Body."),
                ("status", "draft"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("at most 200 characters (it has 201)");
}

async fn list_controls_read_like_the_django_admin(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let a = app.create_item(&staff, category, "Alpha", false).await;

    // The bulk menu starts on no action, and "Go" without one changes nothing.
    let list = staff.get("/admin/items/").await;
    list.assert_contains(r#"<option value="" selected>---------</option>"#);
    staff
        .get(&format!("/admin/items/bulk/?action=&ids={a}"))
        .await
        .assert_redirect("/admin/items/");
    assert_eq!(app.item(a).await.status, item::DRAFT);

    // Only the current sort column tells screen readers its order.
    list.assert_contains(r#"aria-sort="descending"><a href="/admin/items/?o=updated_at">"#);
    assert_eq!(list.body.matches("aria-sort=").count(), 1);
    let by_title = staff.get("/admin/items/?o=title").await;
    by_title.assert_contains(r#"aria-sort="ascending"><a href="/admin/items/?o=-title">"#);
    assert_eq!(by_title.body.matches("aria-sort=").count(), 1);

    // Publishing is confirmed with an ordinary button, deleting with a red one.
    let publish = staff
        .get(&format!("/admin/items/bulk/?action=publish&ids={a}"))
        .await;
    publish.assert_contains(r#"<button type="submit">Yes, I"#);
    publish.assert_lacks("button-danger");
    staff
        .get(&format!("/admin/items/bulk/?action=delete&ids={a}"))
        .await
        .assert_contains(r#"<button type="submit" class="button-danger">Yes, I"#);
    staff
        .get(&format!("/admin/items/{a}/delete/"))
        .await
        .assert_contains(r#"class="button-danger">Yes, delete it"#);

    // The audit log's filters are words, not stored values.
    let log = staff.get("/admin/audit-log/").await;
    log.assert_contains(">Made staff</a>");
    log.assert_contains(">Contact message</a>");
    log.assert_lacks(">make_staff</a>");
    staff
        .get("/admin/audit-log/?action=make_staff")
        .await
        .assert_contains(r#"class="active" aria-current="true">Made staff</a>"#);
}

async fn history_page_lists_an_objects_audit_entries(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let a = app.create_item(&staff, category, "Alpha", false).await;
    let b = app.create_item(&staff, category, "Beta", false).await;
    let ids = a.to_string();
    staff
        .submit_via(
            &format!("/admin/items/bulk/?action=publish&ids={a}"),
            "/admin/items/bulk/",
            &[("action", "publish"), ("ids", &ids)],
        )
        .await
        .assert_redirect("/admin/items/");

    // The change form links to the history, which lists this item's entries, oldest first.
    staff
        .get(&format!("/admin/items/{a}/"))
        .await
        .assert_contains(&format!(r#"<a href="/admin/items/{a}/history/">History</a>"#));
    let history = staff.get(&format!("/admin/items/{a}/history/")).await;
    assert_eq!(history.status, 200);
    history.assert_contains("History: Alpha");
    history.assert_contains("staff@example.org");
    let created = history.body.find("Created item “Alpha”").expect("the creation");
    let published = history
        .body
        .find("Published item “Alpha”")
        .expect("the publication");
    assert!(created < published, "oldest first");
    history.assert_lacks("Beta");
    staff
        .get(&format!("/admin/items/{b}/history/"))
        .await
        .assert_lacks("Published item");
    staff
        .get(&format!("/admin/categories/{category}/history/"))
        .await
        .assert_contains("Created category “Essays”");

    // An unknown object, and anyone but staff: the 404 page.
    assert_eq!(staff.get("/admin/items/999999/history/").await.status, 404);
    let user = app.visitor();
    user.register("user@example.org").await;
    assert_eq!(user.get(&format!("/admin/items/{a}/history/")).await.status, 404);

    // The audit log links each entry to its object.
    staff
        .get("/admin/audit-log/")
        .await
        .assert_contains(&format!(r#"<a href="/admin/items/{a}/">item #{a}</a>"#));
}

async fn the_three_parts_link_to_each_other(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let a = app.create_item(&staff, category, "Alpha", true).await;
    let user = app.visitor();
    user.register("user@example.org").await;
    let admin_link = r#"<a href="/admin/">Admin</a>"#;

    // Staff see "Admin" in the header of the notes and the site; nobody else does.
    staff.get("/").await.assert_contains(admin_link);
    staff.get("/site/").await.assert_contains(admin_link);
    user.get("/").await.assert_lacks(admin_link);
    user.get("/site/").await.assert_lacks(admin_link);
    app.visitor().get("/site/").await.assert_lacks(admin_link);

    // The admin says it is the admin, and links to the site.
    let dashboard = staff.get("/admin/").await;
    dashboard.assert_contains(r#"<span class="brand-sub">admin</span>"#);
    dashboard.assert_contains(r#"<a href="/site/">View site</a>"#);
    dashboard.assert_lacks(r#"<span class="brand-sub">notes</span>"#);

    // A category's and an item's admin pages link to their public pages, and the public item
    // page links staff back to its admin page.
    staff
        .get(&format!("/admin/categories/{category}/"))
        .await
        .assert_contains(r#"<a href="/site/items/essays/">View on site</a>"#);
    let edit = format!(r#"<a href="/admin/items/{a}/">Edit</a>"#);
    staff
        .get("/site/items/essays/alpha/")
        .await
        .assert_contains(&edit);
    app.visitor()
        .get("/site/items/essays/alpha/")
        .await
        .assert_lacks(&edit);
    user.get("/site/items/essays/alpha/").await.assert_lacks(&edit);
}

async fn the_save_buttons_go_where_they_say(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let form = staff.get("/admin/categories/add/").await;
    for button in [
        r#"name="then" value="list">Save</button>"#,
        r#"name="then" value="edit">Save and continue editing</button>"#,
        r#"name="then" value="add">Save and add another</button>"#,
    ] {
        form.assert_contains(button);
    }
    let category = |name: &'static str, then: &'static str| {
        vec![("name", name), ("slug", ""), ("position", "1"), ("then", then)]
    };
    staff
        .submit("/admin/categories/add/", &category("Lists", "list"))
        .await
        .assert_redirect("/admin/categories/");
    staff
        .submit("/admin/categories/add/", &category("Another", "add"))
        .await
        .assert_redirect("/admin/categories/add/");
    let page = staff
        .submit("/admin/categories/add/", &category("Stay", "edit"))
        .await;
    let location = page.location().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/categories/") && location.ends_with('/') && location.len() > 18,
        "{location}"
    );
    assert_eq!(app.count("categories").await, 3);

    // An item saved with "Save" goes back to the items list.
    let id = app.create_category(&staff, "Essays").await.to_string();
    let mut fields = item_fields("Listed", &id, "draft", "Body.");
    fields.push(("then", "list"));
    staff
        .submit("/admin/items/add/", &fields)
        .await
        .assert_redirect("/admin/items/");
}

async fn every_field_error_is_reported_at_once_on_the_typed_field(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    app.create_item(&staff, category, "Alpha", false).await;

    // An empty name is the name's error only: no slug error about a "title".
    let page = staff
        .submit("/admin/categories/add/", &[("name", " "), ("slug", "")])
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("This field is required.");
    page.assert_lacks("Enter a slug");
    page.assert_lacks("no letters or digits");

    // A taken name and a taken slug are both reported by the same submission.
    let page = staff
        .submit(
            "/admin/categories/add/",
            &[("name", "Essays"), ("slug", "essays"), ("position", "-1")],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("Category with this name already exists.");
    page.assert_contains("Category with this slug already exists.");
    page.assert_contains("whole number");

    // A title that differs only in case, with the slug left empty: its derived slug is taken,
    // and the message goes on the title, the field the person typed.
    let id = category.to_string();
    let page = staff
        .submit("/admin/items/add/", &item_fields("ALPHA", &id, "draft", "x"))
        .await;
    assert_eq!(page.status, 422);
    // (MySQL's unique index ignores case, so there the title itself is taken.)
    assert!(
        page.body
            .contains("Item with a title like this already exists (its slug is taken)")
            || page.body.contains("Item with this title already exists."),
        "{}",
        page.body
    );
    page.assert_lacks("Item with this slug already exists.");
    // Typed, the same slug is the slug's error.
    let mut fields = item_fields("Beta", &id, "draft", "x");
    fields[1] = ("slug", "alpha");
    staff
        .submit("/admin/items/add/", &fields)
        .await
        .assert_contains("Item with this slug already exists.");

    // Saving an object again with its own name and slug is no conflict.
    let page = staff
        .submit(
            &format!("/admin/categories/{category}/"),
            &[("name", "Essays"), ("slug", "essays"), ("position", "1")],
        )
        .await;
    page.assert_redirect(&format!("/admin/categories/{category}/"));
    assert_eq!(app.count("categories").await, 1);
    assert_eq!(app.count("items").await, 1);
}

/// The admin's one script is a file every admin page links (the CSP forbids inline scripts),
/// served with its type and a one-year cache to anyone; the lists with a selection column carry
/// the select-all box and the selection counter it shows (hidden without it).
async fn the_admin_script_is_a_cached_file_and_lists_offer_select_all(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    app.create_item(&staff, category, "First essay", false).await;
    let script = folio_web::features::admin::SCRIPT_URL.as_str();
    assert!(
        script.starts_with("/static/admin.") && script.ends_with(".js"),
        "{script}"
    );
    for (path, noun) in [
        ("/admin/categories/", "categories"),
        ("/admin/items/", "items"),
        ("/admin/subscribers/", "subscribers"),
        ("/admin/contact-messages/", "messages"),
    ] {
        let page = staff.get(path).await;
        page.assert_contains(&format!("<script type=\"module\" src=\"{script}\"></script>"));
        assert_eq!(
            page.body.matches("<script").count(),
            1,
            "{path}: one script, by URL"
        );
        page.assert_contains(&format!(
            r#"<input type="checkbox" class="select-all" aria-label="Select all {noun} on this page" hidden>"#
        ));
        page.assert_contains(r#"<span class="admin-selected muted" aria-live="polite" hidden></span>"#);
        page.assert_contains(r#"<div class="admin-table-scroll">"#);
    }
    let users = staff.get("/admin/users/").await;
    users.assert_contains(&format!("<script type=\"module\" src=\"{script}\"></script>"));
    users.assert_lacks("select-all");

    let served = app.visitor().get(script).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(
        served.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(served.body.contains("input.select-all"), "{}", served.body);
    assert_eq!(app.visitor().get("/static/admin.old.js").await.status, 404);
}

/// Required fields say so (an asterisk explained at the top of the form, `required` for
/// assistive technology), while the forms stay `novalidate` and the server's messages rule.
async fn required_fields_are_marked_and_the_server_still_checks_them(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let mark = r#"<span class="required-mark" aria-hidden="true"> *</span>"#;
    let form = staff.get("/admin/items/add/").await;
    form.assert_contains("novalidate");
    form.assert_contains(r#"Fields marked <span class="required-mark">*</span> are required."#);
    for (name, label) in [("title", "Title"), ("summary", "Summary")] {
        form.assert_contains(&format!(r#"<label for="id_{name}">{label}{mark}</label>"#));
        form.assert_contains(&format!(
            r#"name="{name}" value="" autocomplete="off" required aria-required="true">"#
        ));
    }
    form.assert_contains(&format!(r#"<label for="id_category">Category{mark}</label>"#));
    form.assert_contains(r#"<select id="id_category" name="category" required aria-required="true">"#);
    form.assert_contains(r#"<label for="id_slug">Slug (leave empty to derive it from the title)</label>"#);
    form.assert_contains(r#"name="slug" value="" autocomplete="off">"#);
    let form = staff.get("/admin/categories/add/").await;
    form.assert_contains(&format!(r#"<label for="id_name">Name{mark}</label>"#));
    form.assert_contains(r#"name="name" value="" autocomplete="off" required aria-required="true">"#);
    form.assert_contains(r#"name="summary" rows="3">"#);

    let page = staff
        .submit(
            "/admin/items/add/",
            &[
                ("title", ""),
                ("category", ""),
                ("summary", " "),
                ("body", ""),
                ("status", "draft"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.body.matches("This field is required.").count(),
        3,
        "{}",
        page.body
    );
    page.assert_contains(
        r#"<select id="id_category" name="category" required aria-required="true" aria-invalid="true" aria-describedby="err_category">"#,
    );
    page.assert_contains(r#"<p class="field-error" id="err_category">This field is required.</p>"#);
    assert_eq!(app.count("items").await, 0);
}

/// The item form has a Markdown cheat-sheet, and its Preview shows the unsaved item as its
/// public page does (title, date line, summary, body with the site's classes) beside the form,
/// and lands on it.
async fn the_item_form_explains_markdown_and_previews_like_the_item_page(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Harbour", true).await;
    let edit = format!("/admin/items/{id}/");
    let form = staff.get(&edit).await;
    form.assert_contains(r#"<details class="admin-md-help">"#);
    form.assert_contains("<summary>Markdown help</summary>");
    form.assert_contains("a footnote");
    form.assert_contains(&format!(r#"formaction="/admin/items/{id}/preview/#preview""#));
    form.assert_contains(r#"<div class="admin-editor">"#);

    let category = category.to_string();
    let mut fields = item_fields(
        "Harbour & sea",
        &category,
        "published",
        "## Low tide\n\n~~sun~~ rain",
    );
    fields.retain(|(name, _)| *name != "summary");
    fields.push(("summary", "A <b>morning</b> walk."));
    let page = staff
        .submit_via(&edit, &format!("/admin/items/{id}/preview/"), &fields)
        .await;
    assert_eq!(page.status, 200);
    page.assert_contains(r#"<div class="admin-editor with-preview">"#);
    let preview = &page.body[page.body.find(r#"id="preview""#).expect("a preview")..];
    for part in [
        r#"<h2 id="preview-heading">Preview (not saved)</h2>"#,
        r#"<article class="content admin-preview-page">"#,
        r#"<h3 class="admin-preview-title">Harbour &#38; sea</h3>"#,
        r#"<p class="admin-preview-summary">A &#60;b&#62;morning&#60;/b&#62; walk.</p>"#,
        r#"<div class="site-body"><h2>Low tide</h2>"#,
        "<del>sun</del>",
    ] {
        assert!(preview.contains(part), "{part} in {preview}");
    }
    let published = app.item(id).await.published_at.unwrap();
    assert!(
        preview.contains(&published.format("%-d %B %Y").to_string()),
        "the date line: {preview}"
    );
    assert_eq!(app.item(id).await.title, "Harbour", "previewing saves nothing");
}
