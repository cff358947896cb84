//! Notes: the list, a note, create, edit, delete, ownership, sorting, validation.

use folio_testkit::{TestApp, backend_tests};

backend_tests!(
    anonymous_requests_are_sent_to_sign_in,
    create_a_note_without_a_pad,
    create_a_note_in_a_pad,
    create_form_preselects_the_pad_from_the_query,
    note_page_shows_the_note,
    edit_a_note,
    delete_a_note_after_confirming,
    note_validation_keeps_what_was_typed,
    a_note_cannot_go_into_another_users_pad,
    another_users_note_is_404_everywhere,
    large_notes_round_trip,
    notes_sort_by_whitelisted_orders_only,
    junk_ids_are_404,
);

async fn anonymous_requests_are_sent_to_sign_in(app: TestApp) {
    let v = app.visitor();
    for path in [
        "/",
        "/notes/create/",
        "/notes/1/",
        "/notes/1/edit/",
        "/notes/1/delete/",
        "/pads/create/",
        "/pads/1/",
        "/pads/1/edit/",
        "/pads/1/delete/",
        "/settings/",
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, 302, "{path}");
        assert_eq!(page.location(), Some(format!("/signin/?next={path}").as_str()));
    }
    v.get("/?order=name")
        .await
        .assert_redirect("/signin/?next=/%3Forder%3Dname");
    for path in [
        "/notes/create/",
        "/notes/1/edit/",
        "/notes/1/delete/",
        "/pads/create/",
        "/pads/1/delete/",
    ] {
        assert_eq!(v.post(path, &[("name", "x")]).await.status, 302, "POST {path}");
    }
    assert_eq!(app.count("notes").await + app.count("pads").await, 0);
}

async fn create_a_note_without_a_pad(app: TestApp) {
    let v = app.visitor();
    v.register("a@example.org").await;
    let page = v
        .submit(
            "/notes/create/",
            &[("name", "Groceries"), ("text", "milk\neggs"), ("pad", "")],
        )
        .await;
    page.assert_redirect("/");
    let home = v.get("/").await;
    home.assert_contains("Note is successfully created");
    home.assert_contains("All notes <span class=\"count\">(1)</span>");
    home.assert_contains(">Groceries</a>");
    home.assert_contains("No pad");
    home.assert_contains("Today at ");
    v.get("/").await.assert_lacks("Note is successfully created");
}

async fn create_a_note_in_a_pad(app: TestApp) {
    let v = app.visitor();
    v.register("b@example.org").await;
    let pad = v.create_pad("Work").await;
    let pad_field = pad.to_string();
    let page = v
        .submit(
            "/notes/create/",
            &[("name", "Roadmap"), ("text", "Q1"), ("pad", &pad_field)],
        )
        .await;
    page.assert_redirect(&format!("/pads/{pad}/"));
    let pad_page = v.get(&format!("/pads/{pad}/")).await;
    pad_page.assert_contains("Note is successfully created");
    pad_page.assert_contains(">Roadmap</a>");
    pad_page.assert_contains("Work <span class=\"count\">(1)</span>");
    v.get("/")
        .await
        .assert_contains(&format!("<a href=\"/pads/{pad}/\">Work</a>"));
}

async fn create_form_preselects_the_pad_from_the_query(app: TestApp) {
    let v = app.visitor();
    v.register("c@example.org").await;
    let pad = v.create_pad("Ideas").await;
    let form = v.get(&format!("/notes/create/?pad={pad}")).await;
    form.assert_contains(&format!("<option value=\"{pad}\" selected>Ideas</option>"));
    form.assert_contains("<option value=\"\">---------</option>");
    let plain = v.get("/notes/create/").await;
    plain.assert_lacks(" selected>");
    // A junk pad parameter is simply not preselected.
    assert_eq!(v.get("/notes/create/?pad=abc").await.status, 200);
}

async fn note_page_shows_the_note(app: TestApp) {
    let v = app.visitor();
    v.register("d@example.org").await;
    let note = v
        .create_note("Recipe <b>bold</b>", "line one\nline two & <script>", None)
        .await;
    let page = v.get(&format!("/notes/{note}/")).await;
    assert_eq!(page.status, 200);
    page.assert_contains("<h1>Recipe &#60;b&#62;bold&#60;/b&#62;</h1>");
    page.assert_contains("Last edited Today at ");
    page.assert_contains("line one\nline two &#38; &#60;script&#62;");
    page.assert_contains(&format!("href=\"/notes/{note}/edit/\">Edit</a>"));
    page.assert_contains(&format!("href=\"/notes/{note}/delete/\">Delete it</a>"));
}

async fn edit_a_note(app: TestApp) {
    let v = app.visitor();
    v.register("e@example.org").await;
    let pad = v.create_pad("Home").await;
    let note = v.create_note("Draft", "first", None).await;
    let form = v.get(&format!("/notes/{note}/edit/")).await;
    form.assert_contains("value=\"Draft\"");
    form.assert_contains(">first</textarea>");
    let pad_field = pad.to_string();
    let page = v
        .submit(
            &format!("/notes/{note}/edit/"),
            &[("name", "Final"), ("text", "second"), ("pad", &pad_field)],
        )
        .await;
    page.assert_redirect(&format!("/pads/{pad}/"));
    v.get(&format!("/pads/{pad}/"))
        .await
        .assert_contains("Note is successfully updated");
    let shown = v.get(&format!("/notes/{note}/")).await;
    shown.assert_contains("Final");
    shown.assert_contains("second");
    // Moving it out of the pad redirects to all notes.
    v.submit(
        &format!("/notes/{note}/edit/"),
        &[("name", "Final"), ("text", "second"), ("pad", "")],
    )
    .await
    .assert_redirect("/");
}

async fn delete_a_note_after_confirming(app: TestApp) {
    let v = app.visitor();
    v.register("f@example.org").await;
    let pad = v.create_pad("Trash").await;
    let note = v.create_note("Old stuff", "bye", Some(pad)).await;
    let confirm = v.get(&format!("/notes/{note}/delete/")).await;
    confirm.assert_contains("Are you sure you want to delete Old stuff?");
    assert_eq!(app.count("notes").await, 1);
    v.submit(&format!("/notes/{note}/delete/"), &[])
        .await
        .assert_redirect(&format!("/pads/{pad}/"));
    v.get(&format!("/pads/{pad}/"))
        .await
        .assert_contains("Note is successfully deleted");
    assert_eq!(app.count("notes").await, 0);
    assert_eq!(v.get(&format!("/notes/{note}/")).await.status, 404);
}

async fn note_validation_keeps_what_was_typed(app: TestApp) {
    let v = app.visitor();
    v.register("g@example.org").await;
    let page = v.submit("/notes/create/", &[("name", ""), ("text", "")]).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.body.matches("This field is required.").count(), 2);

    let page = v
        .submit("/notes/create/", &[("name", "Kept name"), ("text", "")])
        .await;
    page.assert_contains("value=\"Kept name\"");
    let page = v
        .submit("/notes/create/", &[("name", ""), ("text", "kept text")])
        .await;
    page.assert_contains(">kept text</textarea>");

    let long = "n".repeat(101);
    let page = v
        .submit("/notes/create/", &[("name", &long), ("text", "t")])
        .await;
    page.assert_contains("at most 100 characters");
    assert!(page.body.find("at most 100") > page.body.find("id=\"id_name\""));
    assert_eq!(app.count("notes").await, 0);
}

async fn a_note_cannot_go_into_another_users_pad(app: TestApp) {
    let owner = app.visitor();
    owner.register("owner@example.org").await;
    let theirs = owner.create_pad("Private").await;
    let intruder = app.visitor();
    intruder.register("intruder@example.org").await;
    let mine = intruder.create_note("Mine", "text", None).await;
    let pad_field = theirs.to_string();
    for path in ["/notes/create/".to_owned(), format!("/notes/{mine}/edit/")] {
        let page = intruder
            .submit(&path, &[("name", "Sneaky"), ("text", "x"), ("pad", &pad_field)])
            .await;
        assert_eq!(page.status, 422, "{path}");
        page.assert_contains("Select a valid choice");
        page.assert_lacks("Private");
    }
    let page = intruder
        .submit(
            "/notes/create/",
            &[("name", "Odd"), ("text", "x"), ("pad", "not-a-number")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(app.count("notes").await, 1);
    owner
        .get(&format!("/pads/{theirs}/"))
        .await
        .assert_contains("Private <span class=\"count\">(0)</span>");
}

async fn another_users_note_is_404_everywhere(app: TestApp) {
    let owner = app.visitor();
    owner.register("h@example.org").await;
    let note = owner.create_note("Secret", "my diary", None).await;
    let other = app.visitor();
    other.register("i@example.org").await;
    for path in [
        format!("/notes/{note}/"),
        format!("/notes/{note}/edit/"),
        format!("/notes/{note}/delete/"),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "GET {path}");
        page.assert_lacks("Secret");
        // The full 404 page, with the visitor's own header (not a "Sign in" link).
        page.assert_contains("Page not found");
        page.assert_contains("i@example.org");
        page.assert_lacks(">Sign in<");
    }
    // POSTs with the intruder's own valid token: still 404, and nothing changes.
    let delete = other
        .submit_via("/notes/create/", &format!("/notes/{note}/delete/"), &[])
        .await;
    assert_eq!(delete.status, 404);
    let fields = [("name", "Hacked"), ("text", "x")];
    let edit = other
        .submit_via("/notes/create/", &format!("/notes/{note}/edit/"), &fields)
        .await;
    assert_eq!(edit.status, 404);
    let shown = owner.get(&format!("/notes/{note}/")).await;
    shown.assert_contains("Secret");
    shown.assert_contains("my diary");
    other.get("/").await.assert_lacks("Secret");
}

async fn large_notes_round_trip(app: TestApp) {
    let v = app.visitor();
    v.register("j@example.org").await;
    let text: String = "All work and no play makes Jack a dull boy. é€\n".repeat(3_500);
    assert!(text.len() > 150_000);
    let note = v.create_note("Big", &text, None).await;
    let page = v.get(&format!("/notes/{note}/")).await;
    page.assert_contains(&text[..2_000]);
    assert_eq!(page.body.matches("dull boy").count(), 3_500);
}

async fn notes_sort_by_whitelisted_orders_only(app: TestApp) {
    let v = app.visitor();
    v.register("k@example.org").await;
    let pad = v.create_pad("P").await;
    let b = v.create_note("Banana", "t", Some(pad)).await;
    let a = v.create_note("Apple", "t", Some(pad)).await;
    let c = v.create_note("Cherry", "t", Some(pad)).await;
    for base in ["/".to_owned(), format!("/pads/{pad}/")] {
        let ids = |order: &'static str| {
            let path = format!("{base}?order={order}");
            let v = &v;
            async move { v.get(&path).await.note_ids() }
        };
        assert_eq!(ids("name").await, vec![a, b, c], "{base}");
        assert_eq!(ids("-name").await, vec![c, b, a], "{base}");
        assert_eq!(ids("updated_at").await, vec![b, a, c], "{base}");
        assert_eq!(ids("-updated_at").await, vec![c, a, b], "{base}");
        for junk in [
            "bogus",
            "text",
            "name;DROP%20TABLE%20notes",
            "%27",
            "",
            "%ZZ",
            "bogus&order=name",
        ] {
            let page = v.get(&format!("{base}?order={junk}")).await;
            assert_eq!(page.status, 200, "{junk}");
            assert_eq!(page.note_ids(), vec![c, a, b], "{base} {junk}");
        }
        let page = v.get(&base).await;
        page.assert_contains("href=\"?order=name\"");
        page.assert_contains("href=\"?order=-name\"");
        page.assert_contains("href=\"?order=updated_at\"");
        page.assert_contains("href=\"?order=-updated_at\"");
    }
}

async fn junk_ids_are_404(app: TestApp) {
    let v = app.visitor();
    v.register("l@example.org").await;
    for path in [
        "/notes/abc/",
        "/notes/-1/",
        "/notes/0/",
        "/notes/99999999999999999999999/",
        "/pads/x/",
        "/pads/1.5/edit/",
        "/notes/999/",
        "/notes/%FF/",
        "/pads/%FF%FE/delete/",
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.assert_contains("Page not found");
    }
}
