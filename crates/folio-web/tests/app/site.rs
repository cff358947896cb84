//! The public site: pages, statuses, drafts, caching headers, the feed and view counts.

use folio_db::entities::item;
use folio_testkit::{TestApp, backend_tests};
use sea_orm::EntityTrait;

backend_tests!(
    home_lists_published_items_and_categories,
    unknown_category_and_item_are_real_404s,
    drafts_are_404_for_the_public_and_bannered_for_staff,
    category_pages_paginate,
    anonymous_pages_are_cacheable_and_revalidate,
    signed_in_pages_are_private,
    content_changes_show_after_invalidation,
    feed_lists_published_items,
    item_views_are_counted_in_batches,
);

async fn home_lists_published_items_and_categories(app: TestApp) {
    let v = app.visitor();
    v.get("/site/")
        .await
        .assert_contains("Nothing has been published yet.");
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    app.seed_item(&rust, "Secret plans", false).await;
    app.state().site_cache.invalidate_all();
    let home = v.get("/site/").await;
    assert_eq!(home.status, 200);
    home.assert_contains("Ownership explained");
    home.assert_contains("Summary of Ownership explained");
    home.assert_contains("/site/items/rust/ownership-explained/");
    home.assert_lacks("Secret plans");
    // The category card counts published items only.
    let categories = v.get("/site/items/").await;
    categories.assert_contains("All about Rust.");
    categories.assert_contains("1 item<");
}

async fn unknown_category_and_item_are_real_404s(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    let v = app.visitor();
    for path in [
        "/site/items/nope/",
        "/site/items/rust/nope/",
        "/site/items/nope/ownership-explained/",
        "/site/items/rust/ownership-explained/extra/",
        "/site/items/%ZZ/",
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        page.assert_contains("href=\"/site/\"");
    }
    assert_eq!(v.get("/site/items/rust/ownership-explained/").await.status, 200);
}

async fn drafts_are_404_for_the_public_and_bannered_for_staff(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Work in progress", false).await;
    let path = "/site/items/rust/work-in-progress/";
    assert_eq!(app.visitor().get(path).await.status, 404);
    let reader = app.visitor();
    reader.register("reader@example.org").await;
    assert_eq!(reader.get(path).await.status, 404);
    app.promote_to_staff("reader@example.org").await;
    let staff = app.visitor();
    staff.sign_in("reader@example.org", folio_testkit::PASSWORD).await;
    let page = staff.get(path).await;
    assert_eq!(page.status, 200);
    page.assert_contains("Draft: only staff can see this page.");
    // The staff view was not cached for the public.
    assert_eq!(app.visitor().get(path).await.status, 404);
}

async fn category_pages_paginate(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    for n in 0..25 {
        app.seed_item_aged(&rust, &format!("Item {n:02}"), true, n).await;
    }
    let v = app.visitor();
    let first = v.get("/site/items/rust/").await;
    // Newest first: Item 00 was published most recently.
    first.assert_contains("Item 00");
    first.assert_contains("Item 19");
    first.assert_lacks("Item 20");
    first.assert_contains("Page 1 of 2");
    let second = v.get("/site/items/rust/?page=2").await;
    second.assert_contains("Item 24");
    second.assert_lacks("Item 19");
    assert_eq!(v.get("/site/items/rust/?page=3").await.status, 404);
    for odd in [
        "?page=abc",
        "?page=-1",
        "?page=0",
        "?page=99999999999999999999",
        "?page",
    ] {
        let page = v.get(&format!("/site/items/rust/{odd}")).await;
        assert_eq!(page.status, 200, "{odd}");
        page.assert_contains("Page 1 of 2");
    }
}

async fn anonymous_pages_are_cacheable_and_revalidate(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    let v = app.visitor();
    for (path, policy) in [
        ("/site/", "public, max-age=60"),
        ("/site/items/rust/", "public, max-age=60"),
        ("/site/items/rust/ownership-explained/", "public, no-cache"),
    ] {
        let response = v.send(v.request(reqwest::Method::GET, path)).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("cache-control").as_deref(),
            Some(policy),
            "{path}"
        );
        assert!(response.set_cookies().is_empty(), "{path} sets no cookie");
        let etag = response.header("etag").expect("an etag");
        let again = v
            .send(
                v.request(reqwest::Method::GET, path)
                    .header("if-none-match", &etag),
            )
            .await;
        assert_eq!(again.status, 304, "{path}");
        assert_eq!(again.header("etag"), Some(etag));
    }
}

async fn signed_in_pages_are_private(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    let v = app.visitor();
    v.register("reader@example.org").await;
    let page = v.get("/site/items/rust/ownership-explained/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control").as_deref(), Some("private, no-store"));
    assert!(page.header("etag").is_none());
    page.assert_contains("reader@example.org");
    // And the anonymous copy never shows the reader.
    app.visitor()
        .get("/site/items/rust/ownership-explained/")
        .await
        .assert_lacks("reader@example.org");
}

async fn content_changes_show_after_invalidation(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    let v = app.visitor();
    v.get("/site/")
        .await
        .assert_contains("Nothing has been published yet.");
    app.seed_item(&rust, "Fresh item", true).await;
    // Served from the cache until a content write invalidates it (the admin panel does).
    v.get("/site/").await.assert_lacks("Fresh item");
    app.state().site_cache.invalidate_all();
    v.get("/site/").await.assert_contains("Fresh item");
}

async fn feed_lists_published_items(app: TestApp) {
    let rust = app.seed_category("Rust & <Friends>").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    app.seed_item(&rust, "Secret plans", false).await;
    let feed = app.visitor().get("/site/feed.xml").await;
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.header("content-type").as_deref(),
        Some("application/atom+xml; charset=utf-8")
    );
    feed.assert_contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    feed.assert_contains("<title>Ownership explained</title>");
    feed.assert_contains("/site/items/rust-friends/ownership-explained/");
    // Markup in names and bodies is escaped, so the XML stays well-formed.
    feed.assert_contains("Rust &#38; &#60;Friends&#62;");
    feed.assert_contains("&#60;p&#62;Body of Ownership explained&#60;/p&#62;");
    feed.assert_lacks("Secret plans");
}

async fn item_views_are_counted_in_batches(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    let item = app.seed_item(&rust, "Ownership explained", true).await;
    let draft = app.seed_item(&rust, "Draft", false).await;
    let v = app.visitor();
    for _ in 0..3 {
        assert_eq!(v.get("/site/items/rust/ownership-explained/").await.status, 200);
    }
    v.get("/site/items/rust/draft/").await;
    // Buffered: nothing is written per view.
    assert_eq!(views_of(&app, item.id).await, 0);
    app.state().views.flush(app.db()).await.unwrap();
    assert_eq!(views_of(&app, item.id).await, 3);
    assert_eq!(views_of(&app, draft.id).await, 0);
}

async fn views_of(app: &TestApp, id: i64) -> i64 {
    item::Entity::find_by_id(id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .view_count
}
