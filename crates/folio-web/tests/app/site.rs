//! The public site: pages, statuses, drafts, caching headers, the feed, view counts, the site's
//! name and description, link previews, the sitemap, robots.txt and the icon.

use folio_db::entities::item;
use folio_jobs::SiteInfo;
use folio_testkit::{TestApp, Visitor, backend_tests, fixtures};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

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
    the_site_name_and_description_are_configurable,
    item_pages_link_their_neighbours_and_describe_themselves,
    an_item_image_is_in_link_previews_and_the_feed,
    lists_have_a_description_and_a_canonical_address,
    the_sitemap_lists_what_is_published,
    robots_txt_points_at_the_sitemap,
    every_layout_has_the_icon_and_a_skip_link,
);

/// The base URL test apps are configured with (`FOLIO_BASE_URL`): absolute addresses use it.
const BASE: &str = "http://127.0.0.1";

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
    app.set_staff("reader@example.org", true).await;
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
    feed.assert_contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://127.0.0.1/site/\">");
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

async fn the_site_name_and_description_are_configurable(app: TestApp) {
    // The defaults first.
    let home = app.visitor().get("/site/").await;
    home.assert_contains("<title>Folio</title>");
    home.assert_contains(folio_jobs::site_info::DEFAULT_DESCRIPTION);

    let site = SiteInfo::parse("Harbour & Tide", "Boats, tides and the <people> who sail them.").unwrap();
    let named = TestApp::spawn_with(app.backend(), |config| config.site = site)
        .await
        .unwrap();
    let rust = named.seed_category("Rust").await;
    named.seed_item(&rust, "Ownership explained", true).await;
    let v = named.visitor();
    let home = v.get("/site/").await;
    home.assert_contains("<title>Harbour &#38; Tide</title>");
    home.assert_contains("<h1>Harbour &#38; Tide</h1>");
    home.assert_contains("Boats, tides and the &#60;people&#62; who sail them.");
    home.assert_contains(
        "<meta name=\"description\" content=\"Boats, tides and the &#60;people&#62; who sail them.\">",
    );
    home.assert_contains("<span class=\"brand-mark\" aria-hidden=\"true\">H</span> Harbour &#38; Tide</a>");
    home.assert_lacks("Folio");
    for (path, title) in [
        ("/site/items/", "Categories"),
        ("/site/items/rust/", "Rust"),
        ("/site/items/rust/ownership-explained/", "Ownership explained"),
        ("/site/subscribe/", "Subscribe"),
        ("/site/contact/", "Contact"),
    ] {
        v.get(path)
            .await
            .assert_contains(&format!("<title>{title} · Harbour &#38; Tide</title>"));
    }
    let feed = v.get("/site/feed.xml").await;
    feed.assert_contains("<title>Harbour &#38; Tide</title>");
    feed.assert_contains("<subtitle>Boats, tides and the &#60;people&#62; who sail them.</subtitle>");
    feed.assert_contains("<author><name>Harbour &#38; Tide</name></author>");

    // Emails: the confirmation (sent from the web process) and a notification (the worker).
    let reader = named.visitor();
    reader
        .submit("/site/subscribe/", &[("email", "reader@example.org")])
        .await
        .assert_redirect("/site/subscribe/");
    let mails = named.mails().await;
    let confirmation = mails.last().unwrap();
    assert_eq!(
        confirmation.subject,
        "Confirm your subscription to Harbour & Tide"
    );
    assert!(
        confirmation.decoded.contains("-- Harbour & Tide"),
        "{}",
        confirmation.decoded
    );
    let path = confirmation.link_containing("/site/subscribe/confirm/").unwrap();
    let path = &path[path.find("/site/").unwrap()..];
    reader.submit(path, &[]).await.assert_redirect("/site/");
    let item = named.seed_item(&rust, "Tide tables", true).await;
    folio_jobs::enqueue(
        named.db(),
        &folio_jobs::jobs::NotifySubscribers { item_id: item.id },
    )
    .await
    .unwrap();
    let mails = named.mails().await;
    let notification = mails.last().unwrap();
    assert_eq!(notification.subject, "New on Harbour & Tide: Tide tables");
    assert!(
        notification
            .decoded
            .contains("subscribed to new items on Harbour & Tide"),
        "{}",
        notification.decoded
    );
    named.finish().await;
}

async fn item_pages_link_their_neighbours_and_describe_themselves(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    let go = app.seed_category("Go").await;
    app.seed_item_aged(&rust, "Oldest", true, 30).await;
    app.seed_item_aged(&go, "Middle", true, 20).await;
    app.seed_item_aged(&rust, "Newest", true, 10).await;
    app.seed_item_aged(&rust, "Unfinished", false, 0).await;
    let v = app.visitor();

    // Previous and next follow publication order across categories; drafts are skipped.
    let middle = v.get("/site/items/go/middle/").await;
    middle.assert_contains("rel=\"prev\" href=\"/site/items/rust/oldest/\"");
    middle.assert_contains("rel=\"next\" href=\"/site/items/rust/newest/\"");
    let oldest = v.get("/site/items/rust/oldest/").await;
    oldest.assert_lacks("rel=\"prev\"");
    oldest.assert_contains("rel=\"next\" href=\"/site/items/go/middle/\"");
    let newest = v.get("/site/items/rust/newest/").await;
    newest.assert_contains("rel=\"prev\" href=\"/site/items/go/middle/\"");
    newest.assert_lacks("rel=\"next\"");
    newest.assert_lacks("unfinished");

    // The summary under the title, a subscribe prompt at the end.
    middle.assert_contains("<p class=\"site-summary\">Summary of Middle</p>");
    middle.assert_contains("<a class=\"button\" href=\"/site/subscribe/\">Subscribe</a>");

    // What search engines and link previews read.
    let url = format!("{BASE}/site/items/go/middle/");
    for tag in [
        "<meta name=\"description\" content=\"Summary of Middle\">".to_owned(),
        format!("<link rel=\"canonical\" href=\"{url}\">"),
        "<meta property=\"og:type\" content=\"article\">".to_owned(),
        "<meta property=\"og:title\" content=\"Middle\">".to_owned(),
        "<meta property=\"og:description\" content=\"Summary of Middle\">".to_owned(),
        format!("<meta property=\"og:url\" content=\"{url}\">"),
        "<meta name=\"twitter:card\" content=\"summary\">".to_owned(),
        "<meta name=\"twitter:title\" content=\"Middle\">".to_owned(),
    ] {
        middle.assert_contains(&tag);
    }
    middle.assert_lacks("og:image");
    middle.assert_lacks("noindex");

    // A draft, seen by staff: no neighbours, and not for indexing.
    let staff = app.staff_visitor("editor@example.org").await;
    let draft = staff.get("/site/items/rust/unfinished/").await;
    assert_eq!(draft.status, 200);
    draft.assert_contains("<meta name=\"robots\" content=\"noindex\">");
    draft.assert_lacks("rel=\"prev\"");
}

/// A published item with an image, created through the admin form; returns the item's path.
async fn item_with_image(app: &TestApp, staff: &Visitor) -> String {
    let category = app.create_category(staff, "Sea").await.to_string();
    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &[
                ("title", "Sunset"),
                ("slug", ""),
                ("category", &category),
                ("summary", "Red sky at night."),
                (
                    "body",
                    "See [the harbour](/site/items/sea/) and ![a boat](/media/none.jpg).",
                ),
                ("status", "published"),
            ],
            Some(("photo.jpg", fixtures::jpeg(640, 480))),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    "/site/items/sea/sunset/".to_owned()
}

async fn an_item_image_is_in_link_previews_and_the_feed(app: TestApp) {
    let staff = app.staff_visitor("editor@example.org").await;
    let path = item_with_image(&app, &staff).await;
    let key = item::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .image_key
        .unwrap();
    let v = app.visitor();
    // Until the renditions exist, the original.
    let page = v.get(&path).await;
    page.assert_contains(&format!(
        "<meta property=\"og:image\" content=\"{BASE}/media/{key}/original.jpg\">"
    ));
    page.assert_contains("<meta name=\"twitter:card\" content=\"summary_large_image\">");
    let feed = v.get("/site/feed.xml").await;
    feed.assert_contains(&format!(
        "<link rel=\"enclosure\" type=\"image/jpeg\" href=\"{BASE}/media/{key}/original.jpg\"/>"
    ));

    // Then the JPEG rendition (link previews don't all read WebP).
    app.run_jobs().await;
    app.state().site_cache.invalidate_all();
    let page = v.get(&path).await;
    page.assert_contains(&format!(
        "<meta property=\"og:image\" content=\"{BASE}/media/{key}/display.jpg\">"
    ));
    let feed = v.get("/site/feed.xml").await;
    feed.assert_contains(&format!(
        "<link rel=\"enclosure\" type=\"image/jpeg\" href=\"{BASE}/media/{key}/display.jpg\"/>"
    ));
    // The content shows the image first, and its links and images point at the site.
    feed.assert_contains(&format!(
        "&#60;p&#62;&#60;img src=&#34;{BASE}/media/{key}/display.jpg&#34; alt=&#34;Sunset&#34;&#62;&#60;/p&#62;"
    ));
    feed.assert_contains(&format!("href=&#34;{BASE}/site/items/sea/&#34;"));
    feed.assert_contains(&format!("src=&#34;{BASE}/media/none.jpg&#34;"));
    feed.assert_lacks("=&#34;/site/");
    feed.assert_lacks("=&#34;/media/");
}

async fn lists_have_a_description_and_a_canonical_address(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    for n in 0..25 {
        app.seed_item_aged(&rust, &format!("Item {n:02}"), true, n).await;
    }
    let v = app.visitor();
    let home = v.get("/site/").await;
    home.assert_contains(&format!("<link rel=\"canonical\" href=\"{BASE}/site/\">"));
    home.assert_contains(&format!(
        "<meta name=\"description\" content=\"{}\">",
        folio_jobs::site_info::DEFAULT_DESCRIPTION
    ));
    let category = v.get("/site/items/rust/").await;
    category.assert_contains(&format!(
        "<link rel=\"canonical\" href=\"{BASE}/site/items/rust/\">"
    ));
    category.assert_contains("<meta name=\"description\" content=\"All about Rust.\">");
    // A junk page number is the first page, whose address has no query.
    v.get("/site/items/rust/?page=abc")
        .await
        .assert_contains(&format!(
            "<link rel=\"canonical\" href=\"{BASE}/site/items/rust/\">"
        ));
    v.get("/site/items/rust/?page=2").await.assert_contains(&format!(
        "<link rel=\"canonical\" href=\"{BASE}/site/items/rust/?page=2\">"
    ));
    let categories = v.get("/site/items/").await;
    categories.assert_contains(&format!("<link rel=\"canonical\" href=\"{BASE}/site/items/\">"));
    categories.assert_contains("<meta name=\"description\" content=\"Every category of Folio.\">");
}

async fn the_sitemap_lists_what_is_published(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    let empty = app.seed_category("Empty").await;
    let published = app.seed_item(&rust, "Ownership explained", true).await;
    app.seed_item(&rust, "Secret plans", false).await;
    // A known date, to check lastmod.
    let mut changed: item::ActiveModel = published.into();
    changed.updated_at = Set("2026-11-02T10:20:30Z".parse().unwrap());
    changed.update(app.db()).await.unwrap();

    let sitemap = app.visitor().get("/site/sitemap.xml").await;
    assert_eq!(sitemap.status, 200);
    assert_eq!(
        sitemap.header("content-type").as_deref(),
        Some("application/xml; charset=utf-8")
    );
    sitemap.assert_contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
    sitemap.assert_contains(&format!(
        "<url><loc>{BASE}/site/</loc><lastmod>2026-11-02T10:20:30Z</lastmod></url>"
    ));
    sitemap.assert_contains(&format!("<url><loc>{BASE}/site/items/</loc></url>"));
    sitemap.assert_contains(&format!("<loc>{BASE}/site/items/rust/</loc>"));
    sitemap.assert_contains(&format!("<loc>{BASE}/site/items/{}/</loc>", empty.slug));
    sitemap.assert_contains(&format!(
        "<url><loc>{BASE}/site/items/rust/ownership-explained/</loc><lastmod>2026-11-02T10:20:30Z</lastmod></url>"
    ));
    sitemap.assert_lacks("secret-plans");
    assert_eq!(sitemap.body.matches("<url>").count(), 5, "{}", sitemap.body);
    assert_eq!(
        sitemap.header("cache-control").as_deref(),
        Some("public, max-age=60")
    );
}

async fn robots_txt_points_at_the_sitemap(app: TestApp) {
    let robots = app.visitor().get("/robots.txt").await;
    assert_eq!(robots.status, 200);
    assert_eq!(
        robots.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let lines: Vec<&str> = robots.body.lines().collect();
    for line in [
        "User-agent: *",
        "Allow: /site/",
        "Disallow: /admin/",
        "Disallow: /settings/",
        "Disallow: /signin/",
        "Disallow: /site/unsubscribe/",
        &format!("Sitemap: {BASE}/site/sitemap.xml"),
    ] {
        assert!(lines.contains(&line), "{line:?} missing: {}", robots.body);
    }
}

async fn every_layout_has_the_icon_and_a_skip_link(app: TestApp) {
    let rust = app.seed_category("Rust").await;
    app.seed_item(&rust, "Ownership explained", true).await;
    let anonymous = app.visitor();
    let staff = app.staff_visitor("editor@example.org").await;
    let mut icon = None;
    for (v, path) in [
        (&anonymous, "/site/"),
        (&anonymous, "/site/items/rust/ownership-explained/"),
        (&anonymous, "/site/items/nope/"),
        (&anonymous, "/signin/"),
        (&anonymous, "/nowhere/"),
        (&staff, "/"),
        (&staff, "/admin/"),
    ] {
        let page = v.get(path).await;
        page.assert_contains("<a class=\"skip-link\" href=\"#main\">Skip to content</a>");
        page.assert_contains("id=\"main\"");
        let href = page
            .body
            .split("<link rel=\"icon\" type=\"image/svg+xml\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no icon on {path}: {}", page.body))
            .to_owned();
        assert!(
            href.starts_with("/static/favicon.") && href.ends_with(".svg"),
            "{href}"
        );
        icon = Some(href);
    }
    let icon = icon.unwrap();
    let (status, headers, body) = anonymous.fetch_bytes(&icon).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert!(String::from_utf8(body).unwrap().starts_with("<svg"));
    // Browsers ask for /favicon.ico on their own: sent to the icon, not a 404.
    let ico = anonymous.get("/favicon.ico").await;
    assert_eq!(ico.status, 303);
    assert_eq!(ico.location(), Some(icon.as_str()));
}
