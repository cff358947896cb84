//! The admin panel's other lists and actions: users (staff, deactivation), subscribers,
//! contact messages, jobs (retry, delete), the audit log, list parameters, and the public
//! page cache after content writes.

use chrono::Utc;
use folio_db::entities::{audit_entry, contact_message, job, session, subscriber, user};
use folio_testkit::{PASSWORD, TestApp, backend_tests};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

backend_tests!(
    users_list_filters_and_never_shows_password_hashes,
    make_and_remove_staff,
    staff_add_users_who_choose_their_own_password,
    staff_cannot_unstaff_or_deactivate_themselves,
    deactivating_ends_every_session_and_blocks_sign_in,
    delete_a_subscriber,
    read_and_delete_a_contact_message,
    messages_are_marked_read_when_opened_and_unread_on_request,
    retry_and_delete_a_failed_job,
    a_finished_job_is_listed_with_its_outcome,
    lists_paginate_and_never_fail_on_bad_parameters,
    lists_sort_by_whitelisted_columns,
    audit_log_lists_every_write_with_filters,
    content_writes_refresh_the_public_pages,
    subscribers_and_messages_are_deleted_in_bulk,
);

async fn user_id(app: &TestApp, email: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .count(app.db())
        .await
        .unwrap()
}

async fn users_list_filters_and_never_shows_password_hashes(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    app.visitor().register("reader@example.org").await;
    let page = staff.get("/admin/users/").await;
    page.assert_contains("reader@example.org");
    page.assert_contains("boss@example.org");
    page.assert_contains("2 results");
    page.assert_lacks("argon2");
    let staff_only = staff.get("/admin/users/?staff=yes").await;
    staff_only.assert_lacks("reader@example.org");
    staff_only.assert_contains("1 result");
    let search = staff.get("/admin/users/?q=READER").await;
    search.assert_contains("reader@example.org");
    search.assert_lacks(">boss@example.org</a>");
    let id = user_id(&app, "reader@example.org").await;
    let detail = staff.get(&format!("/admin/users/{id}/")).await;
    detail.assert_contains("Make staff");
    detail.assert_contains("Deactivate");
    detail.assert_lacks("argon2");
}

async fn make_and_remove_staff(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let other = app.visitor();
    other.register("helper@example.org").await;
    assert_eq!(other.get("/admin/").await.status, 404);
    let id = user_id(&app, "helper@example.org").await;
    let path = format!("/admin/users/{id}/");
    // The button asks first; the question changes nothing.
    let question = staff.get(&format!("{path}staff/?value=on")).await;
    question.assert_contains("Make helper@example.org staff");
    question.assert_contains("Yes, make staff");
    assert_eq!(other.get("/admin/").await.status, 404);
    staff
        .submit_via(
            &format!("{path}staff/?value=on"),
            &format!("{path}staff/"),
            &[("value", "on")],
        )
        .await
        .assert_redirect(&path);
    staff
        .get(&path)
        .await
        .assert_contains("helper@example.org is now staff.");
    assert_eq!(other.get("/admin/").await.status, 200);
    staff
        .submit_via(
            &format!("{path}staff/?value=off"),
            &format!("{path}staff/"),
            &[("value", "off")],
        )
        .await
        .assert_redirect(&path);
    // Their sessions (which remembered staff status) ended; signed in again, it's a 404.
    assert_eq!(other.get("/admin/").await.status, 302);
    other
        .sign_in("helper@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert_eq!(other.get("/admin/").await.status, 404);
    assert_eq!(audit_count(&app, "make_staff").await, 1);
    assert_eq!(audit_count(&app, "remove_staff").await, 1);
    // A junk value changes nothing.
    staff
        .submit_via(
            "/admin/categories/add/",
            &format!("{path}staff/"),
            &[("value", "maybe")],
        )
        .await
        .assert_redirect(&path);
    staff
        .get(&format!("{path}staff/?value=maybe"))
        .await
        .assert_redirect(&path);
    assert_eq!(audit_count(&app, "make_staff").await, 1);
}

/// The path of the newest password link emailed to `email`.
async fn emailed_link(app: &TestApp, email: &str) -> String {
    let mail = app
        .mails()
        .await
        .into_iter()
        .rev()
        .find(|mail| mail.to == email)
        .unwrap_or_else(|| panic!("no email to {email}"));
    let link = mail
        .link_containing("/forgot-password/")
        .expect("a password link");
    let (_, token) = link.split_once("/forgot-password/").unwrap();
    format!("/forgot-password/{token}")
}

async fn staff_add_users_who_choose_their_own_password(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    staff
        .get("/admin/users/")
        .await
        .assert_contains("href=\"/admin/users/add/\"");
    let users_before = app.count("users").await;
    // Bad or taken addresses: a field error, nobody added, nothing sent.
    for (email, message) in [
        ("", "This field is required."),
        ("not-an-address", "valid email"),
        ("BOSS@example.org", "already exists"),
    ] {
        let page = staff
            .submit("/admin/users/add/", &[("email", email), ("is_staff", "on")])
            .await;
        assert_eq!(page.status, 422, "{email}: {}", page.body);
        page.assert_contains(message);
    }
    assert_eq!(app.count("users").await, users_before);
    let mails_before = app.mails().await.len();

    let page = staff
        .submit(
            "/admin/users/add/",
            &[("email", "New.Editor@example.org"), ("is_staff", "on")],
        )
        .await;
    let id = page
        .redirect_id("/admin/users/")
        .unwrap_or_else(|| panic!("not added ({}): {}", page.status, page.body));
    staff
        .get(&format!("/admin/users/{id}/"))
        .await
        .assert_contains("a link to choose a password was emailed");
    assert_eq!(audit_count(&app, "create").await, 1);
    let link = emailed_link(&app, "new.editor@example.org").await;
    assert_eq!(app.mails().await.len(), mails_before + 1);

    // They choose a password through the link, sign in, and are staff.
    let newcomer = app.visitor();
    let fields = [
        ("new_password1", "chosen-by-me"),
        ("new_password2", "chosen-by-me"),
    ];
    newcomer.submit(&link, &fields).await.assert_redirect("/signin/");
    newcomer
        .sign_in("new.editor@example.org", "chosen-by-me")
        .await
        .assert_redirect("/");
    assert_eq!(newcomer.get("/admin/").await.status, 200);

    // Staff can send another link at any time; it works like "Forgot password".
    let path = format!("/admin/users/{id}/");
    staff
        .submit_via(&path, &format!("{path}reset-link/"), &[])
        .await
        .assert_redirect(&path);
    staff
        .get(&path)
        .await
        .assert_contains("A password-reset link was emailed");
    assert_eq!(audit_count(&app, "send_reset_link").await, 1);
    let second = emailed_link(&app, "new.editor@example.org").await;
    assert_ne!(second, link);
    assert_eq!(app.visitor().get(&second).await.status, 200);
    // Without a CSRF token: refused, nothing sent.
    let mails = app.mails().await.len();
    assert_eq!(staff.post(&format!("{path}reset-link/"), &[]).await.status, 403);
    assert_eq!(app.mails().await.len(), mails);
}

async fn staff_cannot_unstaff_or_deactivate_themselves(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let id = user_id(&app, "boss@example.org").await;
    let path = format!("/admin/users/{id}/");
    staff.get(&path).await.assert_contains("This is your own account");
    for (action, message) in [
        ("staff/", "remove your own staff status"),
        ("active/", "deactivate your own account; ask"),
    ] {
        staff
            .submit_via(
                "/admin/categories/add/",
                &format!("{path}{action}"),
                &[("value", "off")],
            )
            .await
            .assert_redirect(&path);
        staff.get(&path).await.assert_contains(message);
        let question = staff.get(&format!("{path}{action}?value=off")).await;
        question.assert_contains(message);
        question.assert_lacks("Yes, ");
    }
    assert_eq!(staff.get("/admin/").await.status, 200);
    assert_eq!(app.count("audit_log").await, 0);
}

async fn deactivating_ends_every_session_and_blocks_sign_in(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let laptop = app.visitor();
    laptop.register("gone@example.org").await;
    let phone = app.visitor();
    phone
        .sign_in("gone@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    let id = user_id(&app, "gone@example.org").await;
    let sessions_of = || async {
        session::Entity::find()
            .filter(session::Column::UserId.eq(id))
            .count(app.db())
            .await
            .unwrap()
    };
    assert_eq!(sessions_of().await, 2);

    let path = format!("/admin/users/{id}/");
    staff
        .submit_via(
            &format!("{path}active/?value=off"),
            &format!("{path}active/"),
            &[("value", "off")],
        )
        .await
        .assert_redirect(&path);
    staff
        .get(&path)
        .await
        .assert_contains("was deactivated and signed out everywhere");
    assert_eq!(sessions_of().await, 0);
    for device in [&laptop, &phone] {
        let page = device.get("/pads/create/").await;
        assert_eq!(page.status, 302, "the session is gone");
    }
    assert_eq!(laptop.sign_in("gone@example.org", PASSWORD).await.status, 422);
    assert_eq!(audit_count(&app, "deactivate").await, 1);

    staff
        .submit_via(
            &format!("{path}active/?value=on"),
            &format!("{path}active/"),
            &[("value", "on")],
        )
        .await
        .assert_redirect(&path);
    laptop
        .sign_in("gone@example.org", PASSWORD)
        .await
        .assert_redirect("/");
    assert_eq!(audit_count(&app, "reactivate").await, 1);
}

async fn add_subscriber(app: &TestApp, email: &str, confirmed: bool) -> i64 {
    subscriber::Entity::insert(subscriber::ActiveModel {
        email: Set(email.to_owned()),
        user_id: Set(None),
        token: Set(format!("token-{email}")),
        confirmed: Set(confirmed),
        created_at: Set(Utc::now()),
        confirmed_at: Set(confirmed.then(Utc::now)),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap()
    .last_insert_id
}

async fn delete_a_subscriber(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let keep = add_subscriber(&app, "keep@example.org", true).await;
    let drop = add_subscriber(&app, "drop@example.org", false).await;
    let list = staff.get("/admin/subscribers/").await;
    list.assert_contains("keep@example.org");
    list.assert_contains("2 results");
    let confirmed = staff.get("/admin/subscribers/?confirmed=yes").await;
    confirmed.assert_lacks("drop@example.org");
    let path = format!("/admin/subscribers/{drop}/delete/");
    staff
        .get(&path)
        .await
        .assert_contains("drop@example.org will be deleted");
    staff
        .submit(&path, &[])
        .await
        .assert_redirect("/admin/subscribers/");
    assert_eq!(app.count("subscribers").await, 1);
    assert_eq!(audit_count(&app, "delete").await, 1);
    assert_eq!(
        staff
            .get(&format!("/admin/subscribers/{drop}/delete/"))
            .await
            .status,
        404
    );
    assert!(keep > 0);
}

async fn read_and_delete_a_contact_message(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let id = contact_message::Entity::insert(contact_message::ActiveModel {
        name: Set("Ann".into()),
        email: Set("ann@example.org".into()),
        subject: Set("Hello <b>there</b>".into()),
        message: Set("Line one\n<script>alert(1)</script>".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap()
    .last_insert_id;
    let list = staff.get("/admin/contact-messages/").await;
    list.assert_contains(&format!("href=\"/admin/contact-messages/{id}/\""));
    let page = staff.get(&format!("/admin/contact-messages/{id}/")).await;
    assert_eq!(page.status, 200);
    page.assert_contains("ann@example.org");
    page.assert_contains("&#60;script&#62;alert(1)&#60;/script&#62;");
    page.assert_lacks("<script>alert(1)");
    let path = format!("/admin/contact-messages/{id}/delete/");
    staff
        .submit(&path, &[])
        .await
        .assert_redirect("/admin/contact-messages/");
    assert_eq!(app.count("contact_messages").await, 0);
    assert_eq!(
        staff.get(&format!("/admin/contact-messages/{id}/")).await.status,
        404
    );
    assert_eq!(audit_count(&app, "delete").await, 1);
}

async fn messages_are_marked_read_when_opened_and_unread_on_request(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let first = add_message(&app, "First question").await;
    let second = add_message(&app, "Second question").await;
    let unread = |html: &str| html.matches("class=\"unread\"").count();
    assert_eq!(unread(&staff.get("/admin/contact-messages/").await.body), 2);
    staff.get("/admin/").await.assert_contains("2 unread");

    let page = staff.get(&format!("/admin/contact-messages/{first}/")).await;
    page.assert_contains("<dt>Read</dt>");
    let list = staff.get("/admin/contact-messages/").await;
    assert_eq!(unread(&list.body), 1);
    let unread_only = staff.get("/admin/contact-messages/?read=no").await;
    unread_only.assert_contains("Second question");
    unread_only.assert_lacks("First question");
    staff
        .get("/admin/contact-messages/?read=yes")
        .await
        .assert_contains("First question");

    // Opening it again keeps the first read time; "Mark as unread" clears it.
    let path = format!("/admin/contact-messages/{first}/");
    let read_at = || async {
        contact_message::Entity::find_by_id(first)
            .one(app.db())
            .await
            .unwrap()
            .unwrap()
            .read_at
    };
    let first_read = read_at().await;
    assert!(first_read.is_some());
    staff.get(&path).await;
    assert_eq!(read_at().await, first_read);
    staff
        .submit_via(&path, &format!("{path}unread/"), &[])
        .await
        .assert_redirect("/admin/contact-messages/");
    assert_eq!(read_at().await, None);
    assert_eq!(unread(&staff.get("/admin/contact-messages/").await.body), 2);
    // Without a CSRF token, or for a message that is gone: nothing changes.
    assert_eq!(staff.post(&format!("{path}unread/"), &[]).await.status, 403);
    let gone = second + 1000;
    assert_eq!(
        staff
            .submit_via(&path, &format!("/admin/contact-messages/{gone}/unread/"), &[])
            .await
            .status,
        404
    );
}

async fn retry_and_delete_a_failed_job(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let id = folio_db::queries::jobs::enqueue(app.db(), "send_email", "{}", 3, Utc::now())
        .await
        .unwrap();
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(job::FAILED))
        .col_expr(job::Column::Attempts, Expr::value(3))
        .col_expr(job::Column::LastError, Expr::value("SMTP said no\nsecond line"))
        .filter(job::Column::Id.eq(id))
        .exec(app.db())
        .await
        .unwrap();
    let list = staff.get("/admin/jobs/?state=failed").await;
    list.assert_contains("SMTP said no");
    list.assert_contains("3 / 3");
    staff
        .get("/admin/jobs/?state=queued")
        .await
        .assert_contains("0 results");
    let path = format!("/admin/jobs/{id}/");
    let detail = staff.get(&path).await;
    detail.assert_contains("second line");
    detail.assert_contains("Retry now");

    staff
        .submit_via(&path, &format!("{path}retry/"), &[])
        .await
        .assert_redirect(&path);
    let retried = folio_db::queries::jobs::find(app.db(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.state, job::QUEUED);
    assert_eq!(retried.attempts, 0);
    assert_eq!(audit_count(&app, "retry").await, 1);
    // Retrying a job that is not failed is refused with a message, not an error.
    staff
        .submit_via("/admin/categories/add/", &format!("{path}retry/"), &[])
        .await
        .assert_redirect(&path);
    staff.get(&path).await.assert_contains("is not failed");
    assert_eq!(audit_count(&app, "retry").await, 1);

    staff
        .submit(&format!("{path}delete/"), &[])
        .await
        .assert_redirect("/admin/jobs/");
    assert!(
        folio_db::queries::jobs::find(app.db(), id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(audit_count(&app, "delete").await, 1);
}

/// A job that ran is kept as `succeeded`: the jobs page lists it with that outcome and its
/// state filter finds it, its page says when it finished and offers no retry, and the
/// dashboard counts it apart from pending work.
async fn a_finished_job_is_listed_with_its_outcome(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    // A fan-out for an item that does not exist: done at once, nothing to send.
    let id = folio_jobs::enqueue(
        app.db(),
        &folio_jobs::jobs::NotifySubscribers { item_id: 404_404 },
    )
    .await
    .unwrap();
    assert_eq!(app.run_jobs().await, 1);

    let link = format!("href=\"/admin/jobs/{id}/\"");
    let list = staff.get("/admin/jobs/").await;
    list.assert_contains(&link);
    list.assert_contains("notify_subscribers");
    list.assert_contains("<span class=\"status status-succeeded\">succeeded</span>");
    list.assert_contains("Succeeded"); // the state filter offers it
    let succeeded = staff.get("/admin/jobs/?state=succeeded").await;
    succeeded.assert_contains(&link);
    succeeded.assert_contains("1 result");
    for pending in ["queued", "running", "failed"] {
        staff
            .get(&format!("/admin/jobs/?state={pending}"))
            .await
            .assert_contains("0 results");
    }

    let path = format!("/admin/jobs/{id}/");
    let detail = staff.get(&path).await;
    detail.assert_contains("succeeded");
    detail.assert_contains("Finished");
    detail.assert_lacks("Retry now");
    // Retrying a job that succeeded is refused with a message, like any job that is not failed
    // (the page has no form: the token comes from another page).
    staff
        .submit_via("/admin/categories/add/", &format!("{path}retry/"), &[])
        .await
        .assert_redirect(&path);
    staff
        .get(&path)
        .await
        .assert_contains("is not failed (succeeded)");
    assert_eq!(app.pending_jobs().await, 0);

    let dashboard = staff.get("/admin/").await;
    dashboard.assert_contains("0 queued");
    dashboard.assert_contains("1 succeeded");

    // Staff may delete the record; it has run, so the warning does not say it never will.
    let confirm = staff.get(&format!("{path}delete/")).await;
    confirm.assert_contains(&format!(
        "Job {id} (notify_subscribers, succeeded) will be deleted."
    ));
    staff
        .submit(&format!("{path}delete/"), &[])
        .await
        .assert_redirect("/admin/jobs/");
    assert!(
        folio_db::queries::jobs::find(app.db(), id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn lists_paginate_and_never_fail_on_bad_parameters(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    for n in 0..55 {
        app.seed_category(&format!("Category {n:02}")).await;
    }
    let first = staff.get("/admin/categories/?o=name").await;
    first.assert_contains("55 results");
    first.assert_contains("Page 1 of 2");
    first.assert_contains("Category 49");
    first.assert_lacks("Category 50");
    first.assert_contains("href=\"/admin/categories/?o=name&#38;page=2\"");
    let second = staff.get("/admin/categories/?o=name&page=2").await;
    second.assert_contains("Category 54");
    second.assert_lacks("Category 49<");
    staff
        .get("/admin/categories/?o=name&page=99")
        .await
        .assert_contains("Page 2 of 2");

    let junk = [
        "page=abc",
        "page=-1",
        "page=0",
        "page=18446744073709551616",
        "o=password_hash",
        "o=-",
        "o=--name",
        "q=%25_%5C%27%22",
        "q=%ZZ",
        "status=bogus&category=abc&state=nope&staff=maybe&active=&confirmed=2",
        "action=drop&object_type=%01",
        "q=",
    ];
    for list in [
        "/admin/categories/",
        "/admin/items/",
        "/admin/users/",
        "/admin/subscribers/",
        "/admin/contact-messages/",
        "/admin/jobs/",
        "/admin/audit-log/",
    ] {
        for query in junk {
            let path = format!("{list}?{query}");
            let page = staff.get(&path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
        }
    }
    // A search with LIKE wildcards matches them literally.
    staff
        .get("/admin/categories/?q=%25")
        .await
        .assert_contains("0 results");
    staff
        .get("/admin/categories/?q=category+0")
        .await
        .assert_contains("10 results");
}

async fn lists_sort_by_whitelisted_columns(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    for title in ["Banana", "apple", "Cherry"] {
        app.create_item(&staff, category, title, false).await;
    }
    let order_of = |body: &str| {
        let mut found: Vec<(usize, &str)> = ["Banana", "apple", "Cherry"]
            .iter()
            .map(|t| (body.find(&format!(">{t}</a>")).unwrap(), *t))
            .collect();
        found.sort();
        found.into_iter().map(|(_, t)| t).collect::<Vec<_>>()
    };
    let asc = staff.get("/admin/items/?o=title").await;
    asc.assert_contains("href=\"/admin/items/?o=-title\"");
    let desc = staff.get("/admin/items/?o=-title").await;
    let (asc, desc) = (order_of(&asc.body), order_of(&desc.body));
    let mut reversed = asc.clone();
    reversed.reverse();
    assert_eq!(desc, reversed);
    // The default is newest change first.
    assert_eq!(
        order_of(&staff.get("/admin/items/").await.body),
        ["Cherry", "apple", "Banana"]
    );
}

async fn audit_log_lists_every_write_with_filters(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let category = app.create_category(&staff, "Essays").await;
    let item = app.create_item(&staff, category, "Logged", true).await;
    staff
        .submit(&format!("/admin/items/{item}/delete/"), &[])
        .await
        .assert_redirect("/admin/items/");
    let log = staff.get("/admin/audit-log/").await;
    for line in [
        "Created category “Essays”",
        "Created item “Logged”",
        "Published item “Logged”",
        "Deleted item “Logged”",
    ] {
        log.assert_contains(line);
    }
    log.assert_contains("boss@example.org");
    let creates = staff.get("/admin/audit-log/?action=create").await;
    creates.assert_contains("2 results");
    creates.assert_lacks("Deleted item");
    let items = staff.get("/admin/audit-log/?object_type=category").await;
    items.assert_contains("1 result");
    let row = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("publish"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.object_type, "item");
    assert_eq!(row.object_id, Some(item));
    assert_eq!(row.actor_id, Some(user_id(&app, "boss@example.org").await));
    staff
        .get("/admin/")
        .await
        .assert_contains("Deleted item “Logged”");
}

async fn content_writes_refresh_the_public_pages(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let reader = app.visitor();
    let category = app.create_category(&staff, "Essays").await;
    let id = app.create_item(&staff, category, "Fresh", true).await;
    let public = "/site/items/essays/fresh/";
    reader.get(public).await.assert_contains("Fresh");
    reader.get("/site/").await.assert_contains("Fresh");
    let category = category.to_string();
    staff
        .submit(
            &format!("/admin/items/{id}/"),
            &[
                ("title", "Fresh"),
                ("slug", "fresh"),
                ("category", &category),
                ("summary", "Summary."),
                ("body", "The **second** version."),
                ("status", "published"),
            ],
        )
        .await
        .assert_redirect(&format!("/admin/items/{id}/"));
    reader
        .get(public)
        .await
        .assert_contains("<strong>second</strong>");
    staff
        .submit_via(
            "/admin/categories/add/",
            "/admin/items/bulk/",
            &[("action", "unpublish"), ("ids", &id.to_string())],
        )
        .await
        .assert_redirect("/admin/items/");
    assert_eq!(reader.get(public).await.status, 404);
    reader.get("/site/").await.assert_lacks("Fresh");
}

async fn add_message(app: &TestApp, subject: &str) -> i64 {
    contact_message::Entity::insert(contact_message::ActiveModel {
        name: Set("Ann".into()),
        email: Set("ann@example.org".into()),
        subject: Set(subject.into()),
        message: Set("Hello.".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap()
    .last_insert_id
}

async fn subscribers_and_messages_are_deleted_in_bulk(app: TestApp) {
    let staff = app.staff_visitor("boss@example.org").await;
    let keep = add_subscriber(&app, "keep@example.org", true).await;
    let a = add_subscriber(&app, "a@example.org", true).await;
    let b = add_subscriber(&app, "b@example.org", false).await;
    staff
        .get("/admin/subscribers/")
        .await
        .assert_contains(&format!(r#"name="ids" value="{a}""#));

    // The confirmation lists what goes and changes nothing; the post deletes exactly those.
    let confirm = staff
        .get(&format!("/admin/subscribers/bulk/?action=delete&ids={a}&ids={b}"))
        .await;
    assert_eq!(confirm.status, 200);
    confirm.assert_contains("Delete 2 subscribers");
    confirm.assert_contains("“a@example.org” will be deleted.");
    assert_eq!(app.count("subscribers").await, 3);
    let ids = format!("{a},{b}");
    staff
        .submit_via(
            &format!("/admin/subscribers/bulk/?action=delete&ids={a}"),
            "/admin/subscribers/bulk/",
            &[("action", "delete"), ("ids", &ids)],
        )
        .await
        .assert_redirect("/admin/subscribers/");
    staff
        .get("/admin/subscribers/")
        .await
        .assert_contains("2 subscribers were deleted.");
    let left: Vec<i64> = subscriber::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(left, vec![keep]);
    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::ObjectType.eq("subscriber"))
        .filter(audit_entry::Column::Action.eq("delete"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(entries, 2, "one audit entry per deleted subscriber");

    // Messages: the same, one at a time too; no action chosen changes nothing.
    let m = add_message(&app, "First").await;
    add_message(&app, "Second").await;
    staff
        .get(&format!("/admin/contact-messages/bulk/?action=&ids={m}"))
        .await
        .assert_redirect("/admin/contact-messages/");
    staff
        .get("/admin/contact-messages/")
        .await
        .assert_contains("Select one or more messages and an action.");
    let only = m.to_string();
    staff
        .submit_via(
            &format!("/admin/contact-messages/bulk/?action=delete&ids={m}"),
            "/admin/contact-messages/bulk/",
            &[("action", "delete"), ("ids", &only)],
        )
        .await
        .assert_redirect("/admin/contact-messages/");
    staff
        .get("/admin/contact-messages/")
        .await
        .assert_contains("1 message was deleted.");
    assert_eq!(app.count("contact_messages").await, 1);
}
