//! Images: uploads through the admin forms, the renditions job, serving, replacing and
//! deleting, and every kind of bad upload, on each backend with local storage. (The S3 path
//! runs in `media_s3.rs`.)

use ::image::ImageFormat;
use folio_db::entities::image;
use folio_db::queries::images;
use folio_jobs::jobs::MakeRenditions;
use folio_testkit::fixtures::{self, dimensions};
use folio_testkit::{TestApp, Visitor, backend_tests};
use sea_orm::EntityTrait;

backend_tests!(
    an_item_image_shows_as_original_then_as_renditions,
    every_accepted_format_is_stored_cleaned,
    bad_uploads_are_refused_and_leave_nothing_behind,
    oversize_uploads_get_a_clear_413,
    replacing_removing_and_deleting_remove_old_objects,
    a_retried_thumbnail_job_overwrites_instead_of_adding,
    concurrent_replacements_leave_one_image,
    media_urls_cannot_escape_or_list,
    images_carry_their_description,
    the_preview_shows_the_image_as_the_item_page_does,
    srcset_lists_every_width_and_each_url_serves_it,
    images_rendered_before_extra_widths_still_show,
    notification_emails_show_the_image_and_summary,
);

const LANDSCAPE: (u32, u32) = (1600, 1000);

fn item_fields<'a>(category: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", ""),
        ("category", category),
        ("summary", "With a picture."),
        ("body", "Body."),
        ("status", "published"),
    ]
}

/// Creates a published item with `file` as its image; returns the item's id.
async fn item_with_image(app: &TestApp, staff: &Visitor, title: &str, file: Vec<u8>) -> i64 {
    let category = app
        .create_category(staff, &format!("{title} things"))
        .await
        .to_string();
    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &item_fields(&category, title),
            Some(("photo.jpg", file)),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location().unwrap();
    location
        .trim_start_matches("/admin/items/")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

async fn image_row(app: &TestApp, key: &str) -> image::Model {
    images::find(app.db(), key).await.unwrap().expect("image row")
}

async fn image_key_of(app: &TestApp, item_id: i64) -> String {
    app.item(item_id).await.image_key.expect("the item has an image")
}

/// The value of the first `attribute="…"` after `marker` in `html`.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> String {
    let from = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"));
    let rest = &html[from..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

async fn an_item_image_shows_as_original_then_as_renditions(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Sunset", fixtures::jpeg(LANDSCAPE.0, LANDSCAPE.1)).await;
    let key = image_key_of(&app, id).await;
    assert!(key.starts_with("images/"), "{key}");
    let row = image_row(&app, &key).await;
    assert_eq!((row.width, row.height, row.renditions_ready), (1600, 1000, false));
    assert_eq!(app.media_files(), vec![format!("{key}/original.jpg")]);

    // Before the job: the page shows the original.
    let public = app.visitor();
    let page = public.get("/site/items/sunset-things/sunset/").await;
    assert_eq!(page.status, 200);
    let src = attribute_after(&page.body, "site-figure", "src");
    assert_eq!(src, format!("/media/{key}/original.jpg"));
    let (status, headers, bytes) = public.fetch_bytes(&src).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(dimensions(&bytes), (ImageFormat::Jpeg, 1600, 1000));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let revalidated = public
        .send(
            public
                .request(reqwest::Method::GET, &src)
                .header("if-none-match", &etag),
        )
        .await;
    assert_eq!(revalidated.status, 304);

    // The job makes the base renditions and the extra widths the original is big enough for
    // (1600 wide: no 1800 display).
    app.run_jobs().await;
    let row = image_row(&app, &key).await;
    assert!(row.renditions_ready);
    assert_eq!(row.rendition_extras, "thumb-600 display-600");
    let expected = [
        ("display.jpg", ImageFormat::Jpeg, 1200, 750),
        ("display.webp", ImageFormat::WebP, 1200, 750),
        ("display-600.jpg", ImageFormat::Jpeg, 600, 375),
        ("display-600.webp", ImageFormat::WebP, 600, 375),
        ("thumb.jpg", ImageFormat::Jpeg, 300, 300),
        ("thumb.webp", ImageFormat::WebP, 300, 300),
        ("thumb-600.jpg", ImageFormat::Jpeg, 600, 600),
        ("thumb-600.webp", ImageFormat::WebP, 600, 600),
    ];
    for (name, format, width, height) in expected {
        let (status, headers, bytes) = public.fetch_bytes(&format!("/media/{key}/{name}")).await;
        assert_eq!(status, 200, "{name}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("image/"));
        assert_eq!(dimensions(&bytes), (format, width, height), "{name}");
    }
    assert_eq!(app.media_files().len(), 9, "{:?}", app.media_files());

    // Pages now offer WebP with a JPEG fallback, each at every width (anonymous pages catch up
    // within the cache's minute; this one is fresh).
    app.state().site_cache.invalidate_all();
    let page = public.get("/site/items/sunset-things/sunset/").await;
    let sizes = "(max-width: 760px) calc(100vw - 4.5rem), 720px";
    page.assert_contains(&format!(
        "<source type=\"image/webp\" srcset=\"/media/{key}/display-600.webp 600w, /media/{key}/display.webp 1200w\" sizes=\"{sizes}\">"
    ));
    page.assert_contains(&format!(
        "src=\"/media/{key}/display.jpg\" srcset=\"/media/{key}/display-600.jpg 600w, /media/{key}/display.jpg 1200w\" sizes=\"{sizes}\" width=\"1200\" height=\"750\""
    ));
    let list = public.get("/site/items/sunset-things/").await;
    list.assert_contains(&format!(
        "srcset=\"/media/{key}/thumb.webp 300w, /media/{key}/thumb-600.webp 600w\" sizes=\"96px\""
    ));
    let home = public.get("/site/").await;
    home.assert_contains(&format!("/media/{key}/thumb.jpg"));
    // The admin form shows the current image with a box to remove it.
    let form = staff.get(&format!("/admin/items/{id}/")).await;
    form.assert_contains(&format!("/media/{key}/thumb.jpg"));
    form.assert_contains("name=\"clear_image\"");
    form.assert_contains("enctype=\"multipart/form-data\"");
}

async fn every_accepted_format_is_stored_cleaned(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = app.create_category(&staff, "Formats").await;
    let edit = format!("/admin/categories/{id}/");
    let cases = [
        ("a.jpg", fixtures::jpeg(64, 48), "jpg"),
        ("a.png", fixtures::png(64, 48), "png"),
        ("a.webp", fixtures::webp(64, 48), "png"),
        ("a.gif", fixtures::gif(64, 48), "png"),
    ];
    for (name, bytes, stored_as) in cases {
        let fields = [
            ("name", "Formats"),
            ("slug", "formats"),
            ("summary", ""),
            ("position", "0"),
        ];
        let page = staff
            .submit_file(&edit, &edit, &fields, Some((name, bytes)))
            .await;
        assert_eq!(page.status, 303, "{name}: {}", page.body);
        let category = folio_db::entities::category::Entity::find_by_id(id)
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        let key = category.image_key.unwrap();
        let row = image_row(&app, &key).await;
        assert_eq!(
            (row.format.as_str(), row.width, row.height),
            (stored_as, 64, 48),
            "{name}"
        );
        let (status, _, bytes) = staff
            .fetch_bytes(&format!("/media/{key}/original.{stored_as}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "{name}: metadata left in"
        );
    }
    // Each replacement queued the deletion of the one before.
    app.run_jobs().await;
    assert_eq!(app.count("images").await, 1);
    assert_eq!(app.media_files().len(), 5, "{:?}", app.media_files());
}

async fn bad_uploads_are_refused_and_leave_nothing_behind(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Bad").await.to_string();
    let mut text_file = b"GIF? no: just text pretending to be a photo\n".to_vec();
    text_file.extend_from_slice(&[b'x'; 200]);
    let cases = [
        ("notes.jpg", text_file, "not a JPEG, PNG, WebP or GIF"),
        ("empty.jpg", Vec::new(), "not a JPEG, PNG, WebP or GIF"),
        (
            "half.jpg",
            fixtures::truncated(&fixtures::jpeg(400, 300)),
            "damaged or incomplete",
        ),
        (
            "half.png",
            fixtures::truncated(&fixtures::png(400, 300)),
            "damaged or incomplete",
        ),
        ("bomb.png", fixtures::png_bomb(50_000, 50_000), "50000"),
    ];
    for (name, bytes, message) in cases {
        let page = staff
            .submit_file(
                "/admin/items/add/",
                "/admin/items/add/",
                &item_fields(&category, "Refused"),
                Some((name, bytes)),
            )
            .await;
        assert_eq!(page.status, 422, "{name}: {}", page.body);
        page.assert_contains(message);
        // The other fields come back as typed.
        page.assert_contains("value=\"Refused\"");
    }
    assert_eq!(app.count("items").await, 0);
    assert_eq!(app.count("images").await, 0);
    assert_eq!(app.count("jobs").await, 0);
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());

    // A valid image with an invalid field is not stored either.
    let mut fields = item_fields(&category, "");
    fields[0] = ("title", "");
    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &fields,
            Some(("ok.jpg", fixtures::jpeg(40, 30))),
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.count("images").await, 0);

    // With a field refused, the upload is not even decoded (decoding is the costly part): a
    // decompression bomb beside an empty title gets the title's error, not the image's.
    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &fields,
            Some(("bomb.png", fixtures::png_bomb(50_000, 50_000))),
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("This field is required.");
    assert!(!page.body.contains("50000"), "the image was decoded");
}

/// Sends `head` (request line and headers, without the blank line) and `body` over a raw
/// connection and returns the response as text. The body is written from another task and its
/// write errors are ignored: a server that answers before reading everything (413) closes the
/// connection, and a real HTTP client would have stopped sending too.
async fn raw_request(app: &TestApp, head: String, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base_url().trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let sender = tokio::spawn(async move {
        let _ = writer.write_all(&body).await;
        writer
    });
    let mut response = Vec::new();
    let _ = reader.read_to_end(&mut response).await;
    drop(sender.await);
    String::from_utf8_lossy(&response).into_owned()
}

/// A multipart POST of an item form whose file is `file_len` bytes.
async fn upload_of_size(app: &TestApp, staff: &Visitor, file_len: usize) -> String {
    let form = staff.get("/admin/items/add/").await;
    let token = folio_testkit::csrf_token(&form.body).unwrap();
    let boundary = "folio-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + file_len, 0xFF);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /admin/items/add/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close",
        staff.cookie_header(),
        body.len()
    );
    raw_request(app, head, body).await
}

async fn oversize_uploads_get_a_clear_413(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    // Over the image limit but under the body limit: the upload reader stops it.
    let response = upload_of_size(&app, &staff, 16 * 1024 * 1024 + 1).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("Images may be at most 16 MB"), "{response}");
    // Far over: the body limit answers from the declared length, before any handler, with
    // the same kind of page.
    let response = upload_of_size(&app, &staff, 24 * 1024 * 1024).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("images up to 16 MB"), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("content-type: text/html"),
        "{response}"
    );
    assert_eq!(app.count("items").await, 0);
    assert!(app.media_files().is_empty());
}

async fn replacing_removing_and_deleting_remove_old_objects(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Changing", fixtures::jpeg(500, 400)).await;
    app.run_jobs().await;
    let first = image_key_of(&app, id).await;
    assert_eq!(app.media_files().len(), 5);
    let edit = format!("/admin/items/{id}/");
    let category = app.item(id).await.category_id.to_string();

    // Replace: the new image's objects stay, the old one's go.
    let page = staff
        .submit_file(
            &edit,
            &edit,
            &item_fields(&category, "Changing"),
            Some(("new.png", fixtures::png(500, 400))),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    app.run_jobs().await;
    let second = image_key_of(&app, id).await;
    assert_ne!(first, second);
    let files = app.media_files();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(files.iter().all(|file| file.starts_with(&second)), "{files:?}");
    assert_eq!(app.count("images").await, 1);

    // Saving without a file keeps the image.
    let page = staff
        .submit_file(&edit, &edit, &item_fields(&category, "Changing"), None)
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(image_key_of(&app, id).await, second);

    // The remove box removes it.
    let mut fields = item_fields(&category, "Changing");
    fields.push(("clear_image", "on"));
    let page = staff.submit_file(&edit, &edit, &fields, None).await;
    assert_eq!(page.status, 303);
    app.run_jobs().await;
    assert_eq!(app.item(id).await.image_key, None);
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.count("images").await, 0);

    // Deleting an item with an image deletes its objects.
    let page = staff
        .submit_file(
            &edit,
            &edit,
            &item_fields(&category, "Changing"),
            Some(("again.jpg", fixtures::jpeg(80, 60))),
        )
        .await;
    assert_eq!(page.status, 303);
    app.run_jobs().await;
    assert_eq!(app.media_files().len(), 5);
    let page = staff.submit(&format!("/admin/items/{id}/delete/"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    app.run_jobs().await;
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.count("images").await, 0);

    // And a category's image goes with the category.
    let category_id = app.create_category(&staff, "Doomed").await;
    let edit = format!("/admin/categories/{category_id}/");
    let fields = [
        ("name", "Doomed"),
        ("slug", "doomed"),
        ("summary", ""),
        ("position", "0"),
    ];
    let page = staff
        .submit_file(&edit, &edit, &fields, Some(("c.jpg", fixtures::jpeg(80, 60))))
        .await;
    assert_eq!(page.status, 303);
    app.run_jobs().await;
    assert_eq!(app.media_files().len(), 5);
    let page = staff
        .submit(&format!("/admin/categories/{category_id}/delete/"), &[])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    app.run_jobs().await;
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
}

async fn concurrent_replacements_leave_one_image(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let other = app.staff_visitor("other@example.org").await;
    let id = item_with_image(&app, &staff, "Contested", fixtures::jpeg(120, 90)).await;
    let edit = format!("/admin/items/{id}/");
    let category = app.item(id).await.category_id.to_string();
    let fields = item_fields(&category, "Contested");
    let (first, second) = tokio::join!(
        staff.submit_file(&edit, &edit, &fields, Some(("a.jpg", fixtures::jpeg(100, 80)))),
        other.submit_file(&edit, &edit, &fields, Some(("b.png", fixtures::png(100, 80)))),
    );
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (303, 303));
    app.run_jobs().await;
    // Whichever committed last won; the other's image and the first one are gone, objects too.
    assert_eq!(app.count("images").await, 1);
    let key = image_key_of(&app, id).await;
    let files = app.media_files();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(files.iter().all(|file| file.starts_with(&key)), "{files:?}");
}

async fn a_retried_thumbnail_job_overwrites_instead_of_adding(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Twice", fixtures::jpeg(640, 480)).await;
    let key = image_key_of(&app, id).await;
    assert_eq!(app.run_jobs().await, 2, "notification fan-out and renditions");
    let before = app.media_files();
    assert_eq!(
        before.len(),
        7,
        "original, base renditions, display-600: {before:?}"
    );
    // As if the worker died after storing the renditions and before marking the row.
    images::delete(app.db(), &key).await.unwrap();
    images::insert(
        app.db(),
        &images::NewImage {
            key: key.clone(),
            format: "jpg".into(),
            width: 640,
            height: 480,
            byte_size: 1,
        },
    )
    .await
    .unwrap();
    folio_jobs::enqueue(
        app.db(),
        &MakeRenditions {
            image_key: key.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(app.media_files(), before);
    assert!(image_row(&app, &key).await.renditions_ready);
}

async fn media_urls_cannot_escape_or_list(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    item_with_image(&app, &staff, "Private", fixtures::jpeg(64, 64)).await;
    // Something next to the media directory that must never be reachable.
    std::fs::write(app.media_dir().join("../secret.txt"), b"secret").ok();
    // Raw requests: an HTTP client library would resolve the dots before sending.
    for path in [
        "/media/",
        "/media/images",
        "/media/images/",
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/images/%2e%2e/%2e%2e/secret.txt",
        "/media/images/..%2f..%2fsecret.txt",
        "/media/.hidden",
        "/media/images/nope/original.jpg",
        "/media/images%00/x.jpg",
        "/media//etc/passwd",
        "/media/images\\..\\..\\secret.txt",
    ] {
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close");
        let response = raw_request(&app, head, Vec::new()).await;
        assert!(
            response.starts_with("HTTP/1.1 404") || response.starts_with("HTTP/1.1 400"),
            "{path}: {response}"
        );
        assert!(!response.contains("secret"), "{path}: {response}");
    }
}

/// An app on SQLite whose media go to a new in-process S3 server (prefix `media`).
async fn app_on_s3() -> (folio_testkit::S3Server, TestApp) {
    let s3 = folio_testkit::S3Server::start().await;
    let storage = s3.storage(&s3.settings("media"));
    let app = TestApp::spawn_on(folio_testkit::Backend::Sqlite, storage)
        .await
        .unwrap();
    (s3, app)
}

/// The media storage gone (the S3 server stopped) while staff save an item with an image: the
/// form comes back with the reason on the image field and everything typed kept, and nothing
/// is saved: no item, no image row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_the_storage_cannot_take_saves_nothing() {
    let (s3, app) = app_on_s3().await;
    let staff = app.staff_visitor("staff@example.org").await;
    let category = app.create_category(&staff, "Stormy things").await.to_string();
    drop(s3);

    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &item_fields(&category, "Stormy"),
            Some(("photo.jpg", fixtures::jpeg(900, 600))),
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("The image could not be stored"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Stormy\""), "the typed title is kept");
    assert_eq!(app.count("items").await, 0);
    assert_eq!(app.count("images").await, 0);
}

/// The same flow with the S3 backend (the in-process S3 server, which checks signatures):
/// objects land in the bucket under the prefix, pages link to presigned URLs that work, and
/// the CSP allows the server's origin. One backend is enough: the database side is the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_on_s3_are_linked_by_presigned_urls() {
    let (s3, app) = app_on_s3().await;
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Cloudy", fixtures::jpeg(900, 600)).await;
    let key = image_key_of(&app, id).await;
    app.run_jobs().await;
    let stored = s3.bucket_dir().join("media").join(&key);
    let mut names: Vec<String> = std::fs::read_dir(&stored)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "display-600.jpg",
            "display-600.webp",
            "display.jpg",
            "display.webp",
            "original.jpg",
            "thumb-600.jpg",
            "thumb-600.webp",
            "thumb.jpg",
            "thumb.webp"
        ]
    );
    assert!(app.media_files().is_empty(), "nothing on local disk");

    let page = app.visitor().get("/site/items/cloudy-things/cloudy/").await;
    // Attribute values are HTML-escaped; a browser decodes `&#38;` back to `&`.
    let src = attribute_after(&page.body, "site-figure", "src").replace("&#38;", "&");
    assert!(src.starts_with(&s3.endpoint()), "{src}");
    assert!(src.contains("X-Amz-Signature="), "{src}");
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains(&s3.endpoint()), "{csp}");
    let fetched = reqwest::get(&src).await.unwrap();
    assert_eq!(fetched.status(), 200, "{src}: {:?}", fetched.text().await);
    let bytes = fetched.bytes().await.unwrap();
    assert_eq!(dimensions(&bytes), (ImageFormat::Jpeg, 900, 600));
    // The app itself serves nothing from S3 storage.
    let (status, _, _) = app
        .visitor()
        .fetch_bytes(&format!("/media/{key}/display.jpg"))
        .await;
    assert_eq!(status, 404);

    // Deleting the item empties the bucket of its objects.
    let page = staff.submit(&format!("/admin/items/{id}/delete/"), &[]).await;
    assert_eq!(page.status, 303);
    app.run_jobs().await;
    let left: Vec<_> = std::fs::read_dir(&stored)
        .map(|dir| dir.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|name| name.to_string_lossy().starts_with('.')),
        "{left:?}"
    );
    app.finish().await;
}

async fn images_carry_their_description(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Sunset", fixtures::jpeg(64, 48)).await;
    let public = app.visitor();
    let path = "/site/items/sunset-things/sunset/";
    assert_eq!(
        attribute_after(&public.get(path).await.body, "site-figure", "alt"),
        "Sunset",
        "without a description the title stands in"
    );

    let edit = format!("/admin/items/{id}/");
    let category = app.item(id).await.category_id.to_string();
    let with_alt = |alt: &'static str| {
        let mut fields = item_fields(&category, "Sunset");
        fields.push(("image_alt", alt));
        fields
    };
    let described = "A red sun sinking into a calm sea";
    let page = staff.submit_file(&edit, &edit, &with_alt(described), None).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(app.item(id).await.image_alt, described);
    staff
        .get(&edit)
        .await
        .assert_contains(&format!("value=\"{described}\""));
    assert_eq!(
        attribute_after(&public.get(path).await.body, "site-figure", "alt"),
        described
    );

    // Too long, or with a line break: a field error, and the stored description stays.
    let too_long: &'static str = "x".repeat(301).leak();
    for bad in [too_long, "two\nlines"] {
        let page = staff.submit_file(&edit, &edit, &with_alt(bad), None).await;
        assert_eq!(page.status, 422, "{}", page.body);
        page.assert_contains("id=\"err_image_alt\"");
        assert_eq!(app.item(id).await.image_alt, described);
    }

    // Categories have one too.
    let category_id: i64 = category.parse().unwrap();
    let edit = format!("/admin/categories/{category_id}/");
    let fields = [
        ("name", "Sunset things"),
        ("slug", ""),
        ("summary", "About it."),
        ("position", "0"),
        ("image_alt", "Three deck chairs"),
    ];
    let page = staff.submit_file(&edit, &edit, &fields, None).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let stored = folio_db::entities::category::Entity::find_by_id(category_id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.image_alt, "Three deck chairs");
}

/// The item form's Preview shows the saved image at the item page's size, and none when the
/// form removes it or replaces it with a file that is only stored on save.
async fn the_preview_shows_the_image_as_the_item_page_does(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Harbour", fixtures::jpeg(LANDSCAPE.0, LANDSCAPE.1)).await;
    app.run_jobs().await;
    let key = image_key_of(&app, id).await;
    let category = app.item(id).await.category_id.to_string();
    let edit = format!("/admin/items/{id}/");
    let preview_url = format!("/admin/items/{id}/preview/");
    let fields = item_fields(&category, "Harbour");

    let page = staff.submit_file(&edit, &preview_url, &fields, None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let preview = &page.body[page.body.find("id=\"preview\"").expect("a preview")..];
    assert!(
        preview.contains(&format!("/media/{key}/display.webp 1200w")),
        "{preview}"
    );
    assert!(
        preview.contains("<h3 class=\"admin-preview-title\">Harbour</h3>"),
        "{preview}"
    );
    assert!(preview.contains("With a picture."), "the summary: {preview}");

    let mut removing = fields.clone();
    removing.push(("clear_image", "on"));
    let page = staff.submit_file(&edit, &preview_url, &removing, None).await;
    let preview = &page.body[page.body.find("id=\"preview\"").expect("a preview")..];
    assert!(!preview.contains("site-figure"), "{preview}");

    let page = staff
        .submit_file(
            &edit,
            &preview_url,
            &fields,
            Some(("new.jpg", fixtures::jpeg(64, 48))),
        )
        .await;
    let preview = &page.body[page.body.find("id=\"preview\"").expect("a preview")..];
    assert!(!preview.contains("site-figure"), "{preview}");
    assert!(preview.contains("The image you chose appears here once the item is saved."));
    assert_eq!(image_key_of(&app, id).await, key, "previewing stores nothing");
}

/// The (URL, width) candidates of the first `srcset` after `marker`.
fn srcset_after(html: &str, marker: &str) -> Vec<(String, u32)> {
    attribute_after(html, marker, "srcset")
        .split(", ")
        .map(|candidate| {
            let (url, width) = candidate.rsplit_once(' ').expect("URL and descriptor");
            let width = width.strip_suffix('w').expect("a w descriptor").parse().unwrap();
            (url.to_owned(), width)
        })
        .collect()
}

async fn srcset_lists_every_width_and_each_url_serves_it(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let big = item_with_image(&app, &staff, "Wide", fixtures::jpeg(2000, 1250)).await;
    let small = item_with_image(&app, &staff, "Tiny", fixtures::jpeg(400, 250)).await;
    app.run_jobs().await;
    let public = app.visitor();
    let cases = [
        ("/site/items/wide-things/wide/", vec![600, 1200, 1800]),
        // Never upscaled: only the original-sized display.
        ("/site/items/tiny-things/tiny/", vec![400]),
    ];
    for (path, widths) in cases {
        let page = public.get(path).await;
        assert_eq!(page.status, 200);
        for (marker, format) in [
            ("<source type=\"image/webp\"", ImageFormat::WebP),
            ("<img src=\"/media/", ImageFormat::Jpeg),
        ] {
            let figure = &page.body[page.body.find("site-figure").unwrap()..];
            let candidates = srcset_after(figure, marker);
            let listed: Vec<u32> = candidates.iter().map(|(_, width)| *width).collect();
            assert_eq!(listed, widths, "{path} {marker}");
            for (url, width) in candidates {
                let (status, _, bytes) = public.fetch_bytes(&url).await;
                assert_eq!(status, 200, "{url}");
                let (served_format, served_width, _) = dimensions(&bytes);
                assert_eq!((served_format, served_width), (format, width), "{url}");
            }
        }
    }
    // Thumbs on lists: 300 and 600 for the big one, the 250 crop alone for the small one.
    let list = public.get("/site/items/wide-things/").await;
    let thumbs: Vec<u32> = srcset_after(&list.body, "<source type=\"image/webp\"")
        .into_iter()
        .map(|(_, width)| width)
        .collect();
    assert_eq!(thumbs, [300, 600]);
    let list = public.get("/site/items/tiny-things/").await;
    let thumbs: Vec<u32> = srcset_after(&list.body, "<source type=\"image/webp\"")
        .into_iter()
        .map(|(_, width)| width)
        .collect();
    assert_eq!(thumbs, [250]);

    // Deleting the items deletes every rendition, extra widths included.
    assert_eq!(app.media_files().len(), 5 + 11, "{:?}", app.media_files());
    for id in [big, small] {
        let page = staff.submit(&format!("/admin/items/{id}/delete/"), &[]).await;
        assert_eq!(page.status, 303);
    }
    app.run_jobs().await;
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
}

/// An image whose renditions the previous release made has only the base keys and no extras
/// recorded: its page lists just those, and they still serve.
async fn images_rendered_before_extra_widths_still_show(app: TestApp) {
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Old", fixtures::jpeg(2000, 1250)).await;
    app.run_jobs().await;
    let key = image_key_of(&app, id).await;
    // As the previous release left it: no extra objects, nothing recorded.
    for name in ["display-600", "display-1800", "thumb-600"] {
        for extension in ["jpg", "webp"] {
            let path = app.media_dir().join(format!("{key}/{name}.{extension}"));
            std::fs::remove_file(&path).unwrap();
        }
    }
    images::mark_ready(app.db(), &key, "").await.unwrap();
    let page = app.visitor().get("/site/items/old-things/old/").await;
    let figure = &page.body[page.body.find("site-figure").unwrap()..];
    let candidates = srcset_after(figure, "<source type=\"image/webp\"");
    assert_eq!(candidates, [(format!("/media/{key}/display.webp"), 1200)]);
    let (status, _, _) = app.visitor().fetch_bytes(&candidates[0].0).await;
    assert_eq!(status, 200);
}

/// A published item with an image notifies subscribers with an HTML part showing its summary
/// and its display JPEG at a lasting absolute URL, described by its alt text.
async fn notification_emails_show_the_image_and_summary(app: TestApp) {
    app.seed_subscribers("reader", 1, true).await;
    let staff = app.staff_visitor("staff@example.org").await;
    let id = item_with_image(&app, &staff, "Harbour", fixtures::jpeg(1600, 1000)).await;
    let key = image_key_of(&app, id).await;
    app.run_jobs().await;
    let mails: Vec<_> = app
        .mails()
        .await
        .into_iter()
        .filter(|mail| mail.subject == "New on Folio: Harbour")
        .collect();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0].decoded;
    assert!(mail.contains("With a picture."), "the summary: {mail}");
    let image = format!("http://127.0.0.1/media/{key}/display.jpg");
    assert!(
        mail.contains(&format!("<img src=\"{image}\" alt=\"Harbour\" width=\"600\"")),
        "{mail}"
    );
    // The URL serves the display rendition (the path, as the test app's base is not bound).
    let (status, _, bytes) = app
        .visitor()
        .fetch_bytes(&format!("/media/{key}/display.jpg"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(dimensions(&bytes), (ImageFormat::Jpeg, 1200, 750));
}
