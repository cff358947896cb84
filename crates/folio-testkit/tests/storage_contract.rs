//! The storage contract (`folio_storage::store`), run against both backends: a local directory
//! and S3 (an in-process s3s server that checks signatures). It lives in the test kit because
//! folio-storage can't depend on the kit that depends on it.

// A failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use folio_storage::store::{CACHE_CONTROL, Key, Storage, StorageSettings};
use folio_testkit::S3Server;

/// A storage and whatever keeps its data alive, with a view of the files behind it.
enum Fixture {
    Local {
        storage: Storage,
        dir: tempfile::TempDir,
    },
    S3 {
        storage: Storage,
        server: S3Server,
    },
}

impl Fixture {
    async fn local() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::from_settings(&local_settings(dir.path())).unwrap();
        Fixture::Local { storage, dir }
    }

    async fn s3() -> Fixture {
        let server = S3Server::start().await;
        let storage = server.storage(&server.settings(""));
        Fixture::S3 { storage, server }
    }

    fn storage(&self) -> &Storage {
        match self {
            Fixture::Local { storage, .. } | Fixture::S3 { storage, .. } => storage,
        }
    }

    /// The directory whose files are the objects, one file per key.
    fn data_dir(&self) -> PathBuf {
        match self {
            Fixture::Local { dir, .. } => dir.path().to_owned(),
            Fixture::S3 { server, .. } => server.bucket_dir(),
        }
    }

    fn object_files(&self) -> Vec<String> {
        let root = self.data_dir();
        let mut files = Vec::new();
        collect_files(&root, &root, &mut files);
        files.sort();
        files
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn local_settings(dir: &Path) -> StorageSettings {
    StorageSettings {
        url: format!("file://{}", dir.display()),
        media_base_url: None,
        presign_expiry: Duration::from_secs(3600),
    }
}

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

const JPEG: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg";

/// Declares each `async fn(Fixture)` as a test against the local backend and one against S3.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod local {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Fixture::local().await).await;
                }
            )+
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Fixture::s3().await).await;
                }
            )+
        }
    };
}

contract_tests!(
    put_then_get_returns_the_bytes_and_type,
    head_agrees_with_get,
    overwriting_leaves_one_object,
    missing_objects_are_none,
    deleting_a_missing_object_is_ok,
    deleted_objects_are_gone,
    keys_map_to_files_under_the_root,
    listing_gives_the_keys_under_a_prefix_with_sizes,
    emptiness_is_no_object_at_all,
);

async fn put_then_get_returns_the_bytes_and_type(fixture: Fixture) {
    let storage = fixture.storage();
    let k = key("images/0190b7e2/original.jpg");
    storage
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap();

    let object = storage
        .get(&k)
        .await
        .unwrap()
        .expect("the object was just written");
    assert_eq!(object.bytes, JPEG);
    assert_eq!(object.info.size, JPEG.len() as u64);
    assert_eq!(object.info.content_type, "image/jpeg");
    let etag = &object.info.etag;
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
}

async fn head_agrees_with_get(fixture: Fixture) {
    let storage = fixture.storage();
    let k = key("images/abc/w640.webp");
    storage
        .put(&k, Bytes::from_static(b"RIFF....WEBP"), "image/webp")
        .await
        .unwrap();

    let head = storage.head(&k).await.unwrap().expect("head of a stored object");
    let get = storage.get(&k).await.unwrap().expect("get of a stored object");
    assert_eq!(head, get.info);
    assert_eq!(head.content_type, "image/webp");
    assert_eq!(head.size, 12);
}

async fn overwriting_leaves_one_object(fixture: Fixture) {
    let storage = fixture.storage();
    let k = key("images/abc/original.png");
    storage
        .put(&k, Bytes::from_static(b"first"), "image/png")
        .await
        .unwrap();
    storage
        .put(&k, Bytes::from_static(b"second!"), "image/png")
        .await
        .unwrap();

    let object = storage.get(&k).await.unwrap().unwrap();
    assert_eq!(object.bytes, "second!");
    assert_eq!(object.info.size, 7);
    assert_eq!(fixture.object_files(), ["images/abc/original.png"]);
}

async fn missing_objects_are_none(fixture: Fixture) {
    let storage = fixture.storage();
    let k = key("images/nothing/here.jpg");
    assert!(storage.get(&k).await.unwrap().is_none());
    assert!(storage.head(&k).await.unwrap().is_none());
}

async fn deleting_a_missing_object_is_ok(fixture: Fixture) {
    let storage = fixture.storage();
    storage.delete(&key("images/nothing/here.jpg")).await.unwrap();
    storage.delete(&key("never-written")).await.unwrap();
}

async fn deleted_objects_are_gone(fixture: Fixture) {
    let storage = fixture.storage();
    let k = key("images/abc/original.gif");
    storage
        .put(&k, Bytes::from_static(b"GIF89a"), "image/gif")
        .await
        .unwrap();
    storage.delete(&k).await.unwrap();

    assert!(storage.get(&k).await.unwrap().is_none());
    assert!(storage.head(&k).await.unwrap().is_none());
    // A job that retries the delete still succeeds.
    storage.delete(&k).await.unwrap();
    assert!(fixture.object_files().is_empty(), "{:?}", fixture.object_files());
}

async fn keys_map_to_files_under_the_root(fixture: Fixture) {
    let storage = fixture.storage();
    storage
        .put(&key("a/b/c.jpg"), Bytes::from_static(b"1"), "image/jpeg")
        .await
        .unwrap();
    storage
        .put(&key("top.png"), Bytes::from_static(b"2"), "image/png")
        .await
        .unwrap();
    assert_eq!(fixture.object_files(), ["a/b/c.jpg", "top.png"]);
    let on_disk = std::fs::read(fixture.data_dir().join("a/b/c.jpg")).unwrap();
    assert_eq!(on_disk, b"1");
}

// ---- local only ----

#[tokio::test]
async fn local_public_url_is_under_media() {
    let fixture = Fixture::local().await;
    let storage = fixture.storage();
    assert!(storage.is_local());
    let url = storage.public_url(&key("images/abc/w320.webp")).await.unwrap();
    assert_eq!(url, "/media/images/abc/w320.webp");
}

#[tokio::test]
async fn local_ignores_a_cdn_base_and_derives_the_type_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let settings = StorageSettings {
        media_base_url: Some("https://cdn.example.org".into()),
        ..local_settings(dir.path())
    };
    let storage = Storage::from_settings(&settings).unwrap();
    let k = key("file.bin");
    storage
        .put(&k, Bytes::from_static(b"x"), "image/png")
        .await
        .unwrap();
    assert_eq!(storage.public_url(&k).await.unwrap(), "/media/file.bin");
    let info = storage.head(&k).await.unwrap().unwrap();
    assert_eq!(info.content_type, "application/octet-stream");
}

#[tokio::test]
async fn local_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("data/media");
    let storage = Storage::from_settings(&local_settings(&nested)).unwrap();
    assert!(nested.is_dir());
    storage
        .put(&key("x.jpg"), Bytes::from_static(b"x"), "image/jpeg")
        .await
        .unwrap();
    assert!(nested.join("x.jpg").is_file());
}

#[tokio::test]
async fn local_delete_removes_the_emptied_directories_but_not_the_root() {
    let fixture = Fixture::local().await;
    let storage = fixture.storage();
    let k = key("images/abc/original.jpg");
    storage
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap();
    storage.delete(&k).await.unwrap();
    assert!(!fixture.data_dir().join("images").exists());
    assert!(fixture.data_dir().is_dir());
}

// ---- S3 only ----

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn status_and_body(url: &str) -> (u16, String) {
    let response = http().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn s3_stores_type_and_cache_control_as_object_metadata() {
    let server = S3Server::start().await;
    let storage = server.storage(&server.settings(""));
    assert!(!storage.is_local());
    let k = key("images/abc/original.jpg");
    storage
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap();

    let url = storage.public_url(&k).await.unwrap();
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(header("cache-control").as_deref(), Some(CACHE_CONTROL));
    assert_eq!(header("content-type").as_deref(), Some("image/jpeg"));
    let etag = storage.head(&k).await.unwrap().unwrap().etag;
    assert_eq!(header("etag"), Some(etag));
    assert_eq!(response.bytes().await.unwrap(), JPEG);
}

#[tokio::test]
async fn s3_keeps_the_given_type_whatever_the_extension() {
    let server = S3Server::start().await;
    let storage = server.storage(&server.settings(""));
    let k = key("file.bin");
    storage
        .put(&k, Bytes::from_static(b"x"), "image/png")
        .await
        .unwrap();
    assert_eq!(storage.head(&k).await.unwrap().unwrap().content_type, "image/png");
}

/// What backups rely on: one image's objects by its prefix (whole segments only), sorted, with
/// their sizes, keys without the storage's own prefix.
async fn listing_gives_the_keys_under_a_prefix_with_sizes(fixture: Fixture) {
    let storage = fixture.storage();
    for (name, bytes) in [
        ("images/a/thumb.webp", &b"12"[..]),
        ("images/a/original.jpg", &b"1234"[..]),
        ("images/ab/original.jpg", &b"1"[..]),
        ("other/x.txt", &b"123"[..]),
    ] {
        storage
            .put(
                &key(name),
                Bytes::copy_from_slice(bytes),
                "application/octet-stream",
            )
            .await
            .unwrap();
    }
    let listed = storage.list(Some(&key("images/a"))).await.unwrap();
    assert_eq!(
        listed,
        [(key("images/a/original.jpg"), 4), (key("images/a/thumb.webp"), 2)]
    );
    assert_eq!(storage.list(None).await.unwrap().len(), 4);
    assert!(storage.list(Some(&key("images/none"))).await.unwrap().is_empty());
}

async fn emptiness_is_no_object_at_all(fixture: Fixture) {
    let storage = fixture.storage();
    assert!(storage.is_empty().await.unwrap());
    storage
        .put(&key("deep/down/x.txt"), Bytes::from_static(b"x"), "text/plain")
        .await
        .unwrap();
    assert!(!storage.is_empty().await.unwrap());
    storage.delete(&key("deep/down/x.txt")).await.unwrap();
    assert!(storage.is_empty().await.unwrap());
}

/// A prefixed storage lists and counts only its own objects, and names them without the prefix.
#[tokio::test]
async fn s3_listing_stays_under_the_prefix() {
    let server = S3Server::start().await;
    let prefixed = server.storage(&server.settings("site/media"));
    let whole_bucket = server.storage(&server.settings(""));
    whole_bucket
        .put(&key("elsewhere/x.txt"), Bytes::from_static(b"x"), "text/plain")
        .await
        .unwrap();
    assert!(prefixed.is_empty().await.unwrap());
    prefixed
        .put(
            &key("images/a/original.jpg"),
            Bytes::from_static(JPEG),
            "image/jpeg",
        )
        .await
        .unwrap();
    assert_eq!(
        prefixed.list(None).await.unwrap(),
        [(key("images/a/original.jpg"), JPEG.len() as u64)]
    );
    assert_eq!(whole_bucket.list(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn s3_prefix_is_applied_to_every_key_and_to_presigned_urls() {
    let server = S3Server::start().await;
    let prefixed = server.storage(&server.settings("site/media"));
    let whole_bucket = server.storage(&server.settings(""));
    let k = key("images/abc/original.jpg");
    prefixed
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap();

    let on_disk = server.bucket_dir().join("site/media/images/abc/original.jpg");
    assert_eq!(std::fs::read(on_disk).unwrap(), JPEG);
    let full_key = key("site/media/images/abc/original.jpg");
    assert!(whole_bucket.head(&full_key).await.unwrap().is_some());
    assert!(whole_bucket.head(&k).await.unwrap().is_none());

    let url = prefixed.public_url(&k).await.unwrap();
    let path = format!("/{}/site/media/images/abc/original.jpg?", server.bucket());
    assert!(url.contains(&path), "{url}");
    assert_eq!(status_and_body(&url).await.0, 200);

    prefixed.delete(&k).await.unwrap();
    assert!(whole_bucket.head(&full_key).await.unwrap().is_none());
}

#[tokio::test]
async fn s3_with_a_cdn_base_gives_cdn_urls() {
    let server = S3Server::start().await;
    let settings = StorageSettings {
        media_base_url: Some("https://cdn.example.org/media/".into()),
        ..server.settings("media")
    };
    let storage = server.storage(&settings);
    let url = storage.public_url(&key("images/abc/w640.webp")).await.unwrap();
    assert_eq!(url, "https://cdn.example.org/media/images/abc/w640.webp");
}

#[tokio::test]
async fn presigned_url_serves_the_object() {
    let (server, storage, k) = server_with_jpeg(|server| server.settings("")).await;

    let url = storage.public_url(&k).await.unwrap();
    assert!(url.starts_with(&server.endpoint()), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("X-Amz-Expires=3600"), "{url}");
    assert!(
        !url.contains(server.secret_key()),
        "the secret never appears in a URL"
    );
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), JPEG);
}

#[tokio::test]
async fn tampered_presigned_urls_are_refused() {
    let (_server, storage, k) = server_with_jpeg(|server| server.settings("")).await;
    let other = key("images/abc/other.jpg");
    storage
        .put(&other, Bytes::from_static(b"other"), "image/jpeg")
        .await
        .unwrap();
    let url = storage.public_url(&k).await.unwrap();

    let bad_signature = flip_last_signature_char(&url);
    let (status, body) = status_and_body(&bad_signature).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");

    let other_key = url.replace("abc/original.jpg", "abc/other.jpg");
    let (status, body) = status_and_body(&other_key).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");

    let longer = url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200");
    let (status, body) = status_and_body(&longer).await;
    assert_eq!(status, 403, "{body}");
}

/// A server holding one JPEG at `images/abc/original.jpg`, and storage on it with `settings`.
async fn server_with_jpeg(settings: impl FnOnce(&S3Server) -> StorageSettings) -> (S3Server, Storage, Key) {
    let server = S3Server::start().await;
    let storage = server.storage(&settings(&server));
    let k = key("images/abc/original.jpg");
    storage
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap();
    (server, storage, k)
}

fn flip_last_signature_char(url: &str) -> String {
    let mut chars: Vec<char> = url.chars().collect();
    let start = url.find("X-Amz-Signature=").expect("a signature") + "X-Amz-Signature=".len();
    let at = (start..chars.len())
        .take_while(|&i| chars[i] != '&')
        .last()
        .expect("a non-empty signature");
    chars[at] = if chars[at] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn expired_presigned_urls_are_refused() {
    let (_server, storage, k) = server_with_jpeg(|server| StorageSettings {
        presign_expiry: Duration::from_secs(1),
        ..server.settings("")
    })
    .await;
    let url = storage.public_url(&k).await.unwrap();
    assert!(url.contains("X-Amz-Expires=1&"), "{url}");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = status_and_body(&url).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("expired"), "{body}");
}

#[tokio::test]
async fn requests_with_the_wrong_secret_are_refused() {
    let server = S3Server::start().await;
    // object_store retries nothing on 403, so this fails at once.
    let settings = server.settings("");
    let wrong =
        Storage::from_settings_with_credentials(&settings, server.access_key(), "not-the-secret").unwrap();
    let k = key("images/abc/original.jpg");
    let err = wrong
        .put(&k, Bytes::from_static(JPEG), "image/jpeg")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("put of images/abc/original.jpg"), "{message}");
    assert!(!message.contains("not-the-secret"), "{message}");
    assert!(server.storage(&settings).head(&k).await.unwrap().is_none());
}

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let (server, _storage, k) = server_with_jpeg(|server| server.settings("")).await;
    let plain = format!("{}/{}/{k}", server.endpoint(), server.bucket());
    let (status, body) = status_and_body(&plain).await;
    assert_eq!(status, 403, "{body}");
}

// ---- configuration ----

fn config_error(url: &str) -> String {
    let settings = StorageSettings {
        url: url.to_owned(),
        media_base_url: None,
        presign_expiry: Duration::from_secs(60),
    };
    match Storage::from_settings_with_credentials(&settings, "AKIDEXAMPLE", "s3cr3t-value") {
        Ok(storage) => panic!("{url} should be refused, got {storage:?}"),
        Err(err) => {
            let message = err.to_string();
            assert!(!message.contains("s3cr3t-value"), "{message}");
            message
        }
    }
}

#[test]
fn unknown_scheme_is_named() {
    let message = config_error("ftp://example.org/media");
    assert!(
        message.contains("\"ftp\"") && message.contains("s3://"),
        "{message}"
    );
}

#[test]
fn missing_bucket_is_named() {
    let message = config_error("s3:///media?region=us-east-1");
    assert!(message.contains("bucket"), "{message}");
}

#[test]
fn unknown_query_parameters_are_named() {
    let message = config_error("s3://folio-test/media?region=us-east-1&acl=public-read");
    assert!(message.contains("acl"), "{message}");
}

#[test]
fn bad_expiry_and_cdn_base_are_refused() {
    let base = StorageSettings {
        url: "s3://folio-test?endpoint=http://127.0.0.1:9".into(),
        media_base_url: None,
        presign_expiry: Duration::ZERO,
    };
    let message = Storage::from_settings(&base).map(|_| ()).unwrap_err().to_string();
    assert!(message.contains("expiry"), "{message}");
    let cdn = StorageSettings {
        media_base_url: Some("cdn.example.org".into()),
        presign_expiry: Duration::from_secs(60),
        ..base
    };
    let message = Storage::from_settings(&cdn).map(|_| ()).unwrap_err().to_string();
    assert!(message.contains("media base URL"), "{message}");
}

#[tokio::test]
async fn s3_from_the_environment_chain_is_built_lazily() {
    // Credentials are looked up at the first request, so a machine without AWS credentials
    // can still start (and fail later, per request, with a storage error).
    let server = S3Server::start().await;
    let storage = Storage::from_settings(&server.settings("media")).unwrap();
    assert!(!storage.is_local());
    assert!(format!("{storage:?}").contains("folio-test"));
}
