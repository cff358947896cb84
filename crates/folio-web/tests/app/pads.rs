//! Pads: create, view, rename, delete with notes, ownership.

use folio_testkit::{TestApp, backend_tests};

backend_tests!(
    create_a_pad_and_see_it_in_the_sidebar,
    pad_names_are_validated,
    pad_page_lists_its_notes_with_links,
    rename_a_pad,
    delete_a_pad_and_its_notes,
    another_users_pad_is_404_everywhere,
);

async fn create_a_pad_and_see_it_in_the_sidebar(app: TestApp) {
    let v = app.visitor();
    v.register("pa@example.org").await;
    v.get("/").await.assert_contains("No pads");
    let page = v.submit("/pads/create/", &[("name", "Journal")]).await;
    let location = page.location().unwrap().to_owned();
    assert!(
        location.starts_with("/pads/") && location.ends_with('/'),
        "{location}"
    );
    let pad_page = v.get(&location).await;
    pad_page.assert_contains("Pad is successfully created");
    pad_page.assert_contains("Journal <span class=\"count\">(0)</span>");
    pad_page.assert_contains("Create your first note in the pad.");
    let home = v.get("/").await;
    home.assert_contains(&format!("<a href=\"{location}\">Journal</a>"));
    home.assert_lacks("No pads");
}

async fn pad_names_are_validated(app: TestApp) {
    let v = app.visitor();
    v.register("pb@example.org").await;
    let page = v.submit("/pads/create/", &[("name", "   ")]).await;
    assert_eq!(page.status, 422);
    page.assert_contains("This field is required.");
    let long = "p".repeat(101);
    let page = v.submit("/pads/create/", &[("name", &long)]).await;
    page.assert_contains("at most 100 characters");
    page.assert_contains(&format!("value=\"{long}\""));
    assert_eq!(app.count("pads").await, 0);
}

async fn pad_page_lists_its_notes_with_links(app: TestApp) {
    let v = app.visitor();
    v.register("pc@example.org").await;
    let pad = v.create_pad("Books").await;
    let other = v.create_pad("Films").await;
    v.create_note("Dune", "sand", Some(pad)).await;
    v.create_note("Alien", "space", Some(other)).await;
    v.create_note("Loose", "none", None).await;
    let page = v.get(&format!("/pads/{pad}/")).await;
    page.assert_contains("Books <span class=\"count\">(1)</span>");
    page.assert_contains(">Dune</a>");
    page.assert_lacks(">Alien</a>");
    page.assert_lacks(">Loose</a>");
    page.assert_contains(&format!("href=\"/notes/create/?pad={pad}\""));
    page.assert_contains(&format!("<a href=\"/pads/{pad}/edit/\">Pad settings</a>"));
    page.assert_contains("aria-current=\"page\"");
    v.get("/")
        .await
        .assert_contains("All notes <span class=\"count\">(3)</span>");
}

async fn rename_a_pad(app: TestApp) {
    let v = app.visitor();
    v.register("pd@example.org").await;
    let pad = v.create_pad("Old name").await;
    let form = v.get(&format!("/pads/{pad}/edit/")).await;
    form.assert_contains("value=\"Old name\"");
    form.assert_contains(&format!("href=\"/pads/{pad}/delete/\">Delete pad</a>"));
    let page = v
        .submit(&format!("/pads/{pad}/edit/"), &[("name", "New name")])
        .await;
    page.assert_redirect(&format!("/pads/{pad}/"));
    let shown = v.get(&format!("/pads/{pad}/")).await;
    shown.assert_contains("Pad is successfully updated");
    shown.assert_contains("New name");
    let page = v.submit(&format!("/pads/{pad}/edit/"), &[("name", "")]).await;
    assert_eq!(page.status, 422);
    v.get(&format!("/pads/{pad}/")).await.assert_contains("New name");
}

async fn delete_a_pad_and_its_notes(app: TestApp) {
    let v = app.visitor();
    v.register("pe@example.org").await;
    let pad = v.create_pad("Doomed").await;
    v.create_note("One", "1", Some(pad)).await;
    v.create_note("Two", "2", Some(pad)).await;
    v.create_note("Survivor", "3", None).await;
    let confirm = v.get(&format!("/pads/{pad}/delete/")).await;
    confirm.assert_contains("Are you sure you want to delete Doomed and all related notes?");
    v.submit(&format!("/pads/{pad}/delete/"), &[])
        .await
        .assert_redirect("/");
    let home = v.get("/").await;
    home.assert_contains("Pad is successfully deleted");
    home.assert_contains("All notes <span class=\"count\">(1)</span>");
    home.assert_contains("Survivor");
    assert_eq!(app.count("pads").await, 0);
    assert_eq!(app.count("notes").await, 1);
    assert_eq!(v.get(&format!("/pads/{pad}/")).await.status, 404);
}

async fn another_users_pad_is_404_everywhere(app: TestApp) {
    let owner = app.visitor();
    owner.register("pf@example.org").await;
    let pad = owner.create_pad("Mine only").await;
    owner.create_note("Inside", "x", Some(pad)).await;
    let other = app.visitor();
    other.register("pg@example.org").await;
    for path in [
        format!("/pads/{pad}/"),
        format!("/pads/{pad}/edit/"),
        format!("/pads/{pad}/delete/"),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, 404, "GET {path}");
        page.assert_lacks("Mine only");
    }
    let rename = other
        .submit_via(
            "/pads/create/",
            &format!("/pads/{pad}/edit/"),
            &[("name", "Taken")],
        )
        .await;
    assert_eq!(rename.status, 404);
    let delete = other
        .submit_via("/pads/create/", &format!("/pads/{pad}/delete/"), &[])
        .await;
    assert_eq!(delete.status, 404);
    assert_eq!(app.count("pads").await, 1);
    assert_eq!(app.count("notes").await, 1);
    owner
        .get(&format!("/pads/{pad}/"))
        .await
        .assert_contains("Mine only");
}
