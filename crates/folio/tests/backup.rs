//! `folio backup` / `folio restore` round trips on the three databases and both storages, and
//! the refusals (non-empty target, damaged archive, newer schema) that must change nothing.
//!
//! PostgreSQL and MySQL/MariaDB run when FOLIO_TEST_POSTGRES_URL / FOLIO_TEST_MYSQL_URL are set
//! (skipped otherwise, failed under CI=true), as in the app tests.

// Test helpers may panic: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use folio::backup::{Manifest, Progress, backup, restore, verify};
use folio_db::backup::{Table, existing_tables, rows_as_json};
use folio_db::entities::{contact_message, email_suppression, password_reset};
use folio_db::{DatabaseConnection, Migrator, MigratorTrait};
use folio_storage::{Key, Storage, StorageSettings};
use folio_testkit::{Backend, S3Server, TestApp, TestDatabase, Visitor, fixtures};
use sea_orm::{ActiveModelTrait, Set};

/// Where the media of a test lives.
#[derive(Clone, Copy, Debug)]
enum Media {
    Local,
    S3,
}

/// A source app filled with a row in every table and images with their renditions.
async fn filled_app(backend: Backend, media: Media, s3: &S3Server) -> Option<TestApp> {
    let app = match media {
        Media::Local => TestApp::spawn(backend).await?,
        Media::S3 => TestApp::spawn_on(backend, s3.storage(&s3.settings("source"))).await?,
    };
    fill(&app).await;
    Some(app)
}

async fn fill(app: &TestApp) {
    // Notes side: users (their sign-ins leave sessions), pads, notes, API tokens.
    for person in ["ann", "bob"] {
        let visitor = app.visitor();
        visitor.register(&format!("{person}@example.org")).await;
        let pad = visitor.create_pad(&format!("{person}'s pad")).await;
        visitor
            .create_note(
                "In a pad",
                "Text with ünïcode and \"quotes\"\nand lines",
                Some(pad),
            )
            .await;
        visitor.create_note("Loose", "No pad.", None).await;
        let token = visitor
            .submit(
                "/settings/tokens/",
                &[("name", "script"), ("scope", "read"), ("expires", "30")],
            )
            .await;
        assert_eq!(token.status, 201, "{}", token.body);
    }
    // Site side, through the admin panel: categories, items with images (images rows, media
    // objects, audit entries), a published item's notification (jobs, deliveries).
    let staff = app.staff_visitor("staff@example.org").await;
    item_with_image(app, &staff, "Sunrise", fixtures::jpeg(900, 600)).await;
    item_with_image(app, &staff, "Diagram", fixtures::png(320, 200)).await;
    let category = app.seed_category("Plain").await;
    app.seed_item(&category, "Draft without image", false).await;
    app.seed_subscribers("reader", 3, true).await;
    let plain = app.create_category(&staff, "Announcements").await;
    app.create_item(&staff, plain, "News", true).await;
    app.run_jobs().await;
    // What the forms would need mail round trips or SES hooks for: written directly.
    seed_other_tables(app.db()).await;
    for table in Table::ALL {
        assert!(
            app.count(table.name()).await > 0,
            "the fixture must put a row in {}",
            table.name()
        );
    }
}

async fn item_with_image(app: &TestApp, staff: &Visitor, title: &str, file: Vec<u8>) {
    let category = app
        .create_category(staff, &format!("{title} things"))
        .await
        .to_string();
    let page = staff
        .submit_file(
            "/admin/items/add/",
            "/admin/items/add/",
            &[
                ("title", title),
                ("slug", ""),
                ("category", &category),
                ("summary", "With a picture."),
                ("body", "Body *with* Markdown."),
                ("status", "published"),
            ],
            Some(("photo.jpg", file)),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
}

async fn seed_other_tables(db: &DatabaseConnection) {
    let now = Utc::now();
    contact_message::ActiveModel {
        name: Set("Reader".into()),
        email: Set("reader@example.org".into()),
        subject: Set("Hello".into()),
        message: Set("A message\nover two lines".into()),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    email_suppression::ActiveModel {
        email: Set("bounced@example.org".into()),
        reason: Set("bounce".into()),
        detail: Set("General".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let user = folio_db::queries::users::find_by_email(db, "ann@example.org")
        .await
        .unwrap()
        .unwrap();
    password_reset::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set("0".repeat(64)),
        expires_at: Set(now),
        used_at: Set(Some(now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

/// An empty target: a database never migrated, and empty storage of the given kind.
struct Target {
    database: TestDatabase,
    db: DatabaseConnection,
    storage: Storage,
    _media_dir: tempfile::TempDir,
}

impl Target {
    async fn create(backend: Backend, media: Media, s3: &S3Server) -> Option<Target> {
        let database = TestDatabase::create(backend).await?;
        let db = folio_db::connect(database.url(), 4).await.unwrap();
        let media_dir = tempfile::tempdir().unwrap();
        let storage = match media {
            Media::Local => Storage::from_settings(&StorageSettings {
                url: format!("file://{}", media_dir.path().display()),
                media_base_url: None,
                presign_expiry: std::time::Duration::from_secs(60),
            })
            .unwrap(),
            Media::S3 => s3.storage(&s3.settings("target")),
        };
        Some(Target {
            database,
            db,
            storage,
            _media_dir: media_dir,
        })
    }

    async fn finish(self) {
        self.db.close().await.ok();
        self.database.drop_database().await;
    }
}

/// Every row of every table, as the typed models serialize them, in a fixed order. Between backends timestamps
/// are compared to the microsecond: PostgreSQL and MariaDB keep microseconds, SQLite keeps
/// what chrono gave (nanoseconds).
async fn all_rows(db: &DatabaseConnection, to_micros: bool) -> Vec<(Table, Vec<serde_json::Value>)> {
    let mut all = Vec::new();
    for table in Table::ALL {
        let mut rows: Vec<serde_json::Value> = rows_as_json(db, table)
            .await
            .unwrap()
            .iter()
            .map(|line| {
                let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
                if to_micros {
                    truncate_timestamps(&mut value);
                }
                value
            })
            .collect();
        // Keyed by id, which for sessions is a string: MySQL's collation orders those
        // differently from SQLite's and PostgreSQL's, so the order is not part of equality.
        rows.sort_by_key(|row| row.to_string());
        all.push((table, rows));
    }
    all
}

fn truncate_timestamps(value: &mut serde_json::Value) {
    let serde_json::Value::Object(fields) = value else {
        return;
    };
    for field in fields.values_mut() {
        if let serde_json::Value::String(text) = field
            && let Ok(time) = chrono::DateTime::parse_from_rfc3339(text)
        {
            let micros = time.with_timezone(&Utc).timestamp_micros();
            let truncated = chrono::DateTime::from_timestamp_micros(micros).unwrap();
            *text = truncated.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        }
    }
}

/// Every object under `images/` with its bytes.
async fn all_media(storage: &Storage) -> Vec<(String, Vec<u8>)> {
    let mut objects = Vec::new();
    for (key, _) in storage.list(Some(&Key::parse("images").unwrap())).await.unwrap() {
        let bytes = storage.get(&key).await.unwrap().unwrap().bytes.to_vec();
        objects.push((key.as_str().to_owned(), bytes));
    }
    objects
}

fn archive_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("folio-backup.tar.gz")
}

/// Backs up a filled `source` app, restores into an empty `target`, and compares.
async fn round_trip(source: Backend, target: Backend, media: Media) {
    let s3 = S3Server::start().await;
    let Some(app) = filled_app(source, media, &s3).await else {
        return;
    };
    let Some(empty) = Target::create(target, media, &s3).await else {
        app.finish().await;
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_path(&dir);
    let source_storage = app.state().storage.clone();
    let manifest = backup(app.db(), &source_storage, &archive, &Progress::plain("backup"))
        .await
        .unwrap();
    check_manifest(&manifest, app.db()).await;

    let restored = restore(&empty.db, &empty.storage, &archive, &Progress::plain("restore"))
        .await
        .unwrap();
    assert_eq!(restored, manifest);

    let to_micros = source != target;
    let before = all_rows(app.db(), to_micros).await;
    let after = all_rows(&empty.db, to_micros).await;
    for ((table, rows), (_, restored_rows)) in before.iter().zip(&after) {
        assert_eq!(
            rows,
            restored_rows,
            "rows of {} differ after the restore",
            table.name()
        );
    }
    let media_before = all_media(&source_storage).await;
    assert!(media_before.len() >= 2 * 5, "the images and their renditions");
    assert_eq!(
        media_before,
        all_media(&empty.storage).await,
        "media must be byte-identical"
    );
    assert!(
        Migrator::get_pending_migrations(&empty.db)
            .await
            .unwrap()
            .is_empty(),
        "the restored database is migrated"
    );
    app_works_on_restored(&empty.db).await;

    empty.finish().await;
    app.finish().await;
}

async fn check_manifest(manifest: &Manifest, db: &DatabaseConnection) {
    let names: Vec<&str> = manifest.tables.iter().map(|table| table.name.as_str()).collect();
    let expected: Vec<&str> = Table::ALL.iter().map(|table| table.name()).collect();
    assert_eq!(names, expected);
    for table in &manifest.tables {
        assert_eq!(
            table.rows,
            rows_as_json(db, Table::from_name(&table.name).unwrap())
                .await
                .unwrap()
                .len() as u64
        );
    }
    assert_eq!(manifest.migrations, folio_db::backup::known_migrations());
}

/// New rows get fresh ids after the restored ones (PostgreSQL's sequences were set).
async fn app_works_on_restored(db: &DatabaseConnection) {
    use folio_db::queries::{notes, users};
    let max_user = users::find_by_email(db, "bob@example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    let user = users::create(db, "new@example.org", "hash", false)
        .await
        .map_err(|_| "create user")
        .unwrap();
    assert!(
        user.id > max_user,
        "a new user gets an id after the restored ones"
    );
    let note = notes::create(
        db,
        user.id,
        notes::NoteInput {
            name: "After the restore",
            text: "It works.",
            pad_id: None,
        },
    )
    .await
    .unwrap();
    let restored_notes = rows_as_json(db, Table::Notes).await.unwrap().len() as i64;
    assert!(note.id >= restored_notes, "a new note gets a fresh id");
}

macro_rules! round_trips {
    ($($name:ident: $source:ident -> $target:ident on $media:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                round_trip(Backend::$source, Backend::$target, Media::$media).await;
            }
        )+
    };
}

round_trips! {
    sqlite_to_sqlite_local: Sqlite -> Sqlite on Local,
    postgres_to_postgres_local: Postgres -> Postgres on Local,
    mysql_to_mysql_local: MySql -> MySql on Local,
    sqlite_to_postgres_local: Sqlite -> Postgres on Local,
    sqlite_to_mysql_local: Sqlite -> MySql on Local,
    postgres_to_mysql_local: Postgres -> MySql on Local,
    mysql_to_sqlite_local: MySql -> Sqlite on Local,
    sqlite_to_sqlite_s3: Sqlite -> Sqlite on S3,
    postgres_to_postgres_s3: Postgres -> Postgres on S3,
    mysql_to_mysql_s3: MySql -> MySql on S3,
    sqlite_to_postgres_s3: Sqlite -> Postgres on S3,
}

/// Every table the migrations create is in [`Table::ALL`] (except the migration record, which
/// the manifest carries): a new table can't be left out of backups unnoticed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_the_migrations_create_is_backed_up() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let db = folio_db::connect(database.url(), 4).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let created: BTreeSet<String> = existing_tables(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|name| name != "seaql_migrations")
        .collect();
    let covered: BTreeSet<String> = Table::ALL.iter().map(|table| table.name().to_owned()).collect();
    assert_eq!(created, covered);
}

// ---- Refusals: a clear error, and the target as it was ----

/// A small valid archive from a filled SQLite app, with its app kept for comparisons.
async fn sqlite_archive(dir: &tempfile::TempDir) -> (TestApp, PathBuf) {
    let s3 = S3Server::start().await;
    let app = filled_app(Backend::Sqlite, Media::Local, &s3).await.unwrap();
    let archive = archive_path(dir);
    backup(
        app.db(),
        &app.state().storage,
        &archive,
        &Progress::plain("backup"),
    )
    .await
    .unwrap();
    (app, archive)
}

/// Restores `archive` into an empty target on `backend` and returns the error, after checking
/// that nothing was written: no tables created, no object stored.
async fn refused_into_empty(archive: &Path, backend: Backend) -> Option<String> {
    let s3 = S3Server::start().await;
    let target = Target::create(backend, Media::Local, &s3).await?;
    let err = restore(&target.db, &target.storage, archive, &Progress::plain("restore"))
        .await
        .expect_err("the restore must be refused");
    assert!(
        existing_tables(&target.db).await.unwrap().is_empty(),
        "nothing may be created in the target database"
    );
    assert!(target.storage.is_empty().await.unwrap(), "nothing may be stored");
    target.finish().await;
    Some(format!("{err:#}"))
}

/// Rewrites the archive with `change` applied to the entry at `path` (re-compressed, so the
/// gzip stream is valid and only our checks can notice).
fn rewrite_entry(archive: &Path, path: &str, change: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let mut found = false;
    let out = rewrite_archive(archive, path, |name, bytes| {
        if name == path {
            change(bytes);
            found = true;
        }
    });
    assert!(found, "{path} is in the archive");
    out
}

/// Rewrites every entry of the archive through `change(name, bytes)` into a new file named
/// after `label`.
fn rewrite_archive(archive: &Path, label: &str, mut change: impl FnMut(&str, &mut Vec<u8>)) -> PathBuf {
    let out = archive.with_file_name(format!("changed-{}.tar.gz", label.replace('/', "_")));
    let input = std::fs::File::open(archive).unwrap();
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(input));
    let output = std::fs::File::create(&out).unwrap();
    let mut writer = tar::Builder::new(flate2::write::GzEncoder::new(output, flate2::Compression::fast()));
    for entry in reader.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        change(&name, &mut bytes);
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        writer.append_data(&mut header, &name, bytes.as_slice()).unwrap();
    }
    writer.into_inner().unwrap().finish().unwrap().flush().unwrap();
    out
}

/// An archive that checks out but whose rows break a foreign key (a note in a pad that is not
/// there, with the manifest's checksum made to match): the insert fails inside the restore's
/// transaction, and the target keeps no row and gets no object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_that_breaks_a_constraint_rolls_the_whole_restore_back() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    let mut notes_sha = String::new();
    let broken = rewrite_archive(&archive, "broken-notes", |name, bytes| {
        if name == "tables/notes.jsonl" {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let at = text.find("\"pad_id\":").unwrap() + "\"pad_id\":".len();
            let end = at + text[at..].find(',').unwrap();
            *bytes = format!("{}987654{}", &text[..at], &text[end..]).into_bytes();
            notes_sha = sha256_hex(bytes);
        }
    });
    // The manifest comes first in the archive, so its checksum is fixed in a second pass.
    let broken = rewrite_entry(&broken, "manifest.json", |bytes| {
        let mut manifest: Manifest = serde_json::from_slice(bytes).unwrap();
        let notes = manifest.tables.iter_mut().find(|t| t.name == "notes").unwrap();
        notes.sha256 = notes_sha.clone();
        *bytes = serde_json::to_vec(&manifest).unwrap();
    });
    verify(&broken, &Progress::plain("verify")).expect("the archive itself checks out");
    let s3 = S3Server::start().await;
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(target) = Target::create(backend, Media::Local, &s3).await else {
            continue;
        };
        let err = restore(&target.db, &target.storage, &broken, &Progress::plain("restore"))
            .await
            .expect_err("a broken foreign key must fail the restore");
        let err = format!("{err:#}");
        assert!(err.contains("inserting rows into notes"), "{backend:?}: {err}");
        assert!(
            folio_db::backup::tables_with_rows(&target.db)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: the transaction left no row"
        );
        assert!(target.storage.is_empty().await.unwrap(), "{backend:?}");
        target.finish().await;
    }
    app.finish().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_in_a_table_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    let changed = rewrite_entry(&archive, "tables/notes.jsonl", |bytes| {
        // A digit of an id: the row still parses, only the checksum can tell.
        let at = bytes.iter().position(u8::is_ascii_digit).unwrap();
        bytes[at] = if bytes[at] == b'9' { b'8' } else { bytes[at] + 1 };
    });
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        if let Some(err) = refused_into_empty(&changed, backend).await {
            assert!(
                err.contains("damaged") && err.contains("tables/notes.jsonl"),
                "{err}"
            );
            assert!(err.contains("SHA-256"), "{err}");
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_media_byte_a_raw_flip_and_a_truncation_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    let manifest = verify(&archive, &Progress::plain("verify")).unwrap();
    let object = format!("media/{}", manifest.media[0].key);
    let changed = rewrite_entry(&archive, &object, |bytes| {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
    });
    let err = refused_into_empty(&changed, Backend::Sqlite).await.unwrap();
    assert!(err.contains("damaged") && err.contains(&object), "{err}");

    let bytes = std::fs::read(&archive).unwrap();
    let truncated = dir.path().join("truncated.tar.gz");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = refused_into_empty(&truncated, Backend::Sqlite).await.unwrap();
    assert!(err.contains("damaged or truncated"), "{err}");

    let cut_at_end = dir.path().join("cut-at-end.tar.gz");
    std::fs::write(&cut_at_end, &bytes[..bytes.len() - 4]).unwrap();
    let err = refused_into_empty(&cut_at_end, Backend::Sqlite).await.unwrap();
    assert!(err.contains("damaged or truncated"), "{err}");

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let raw_flip = dir.path().join("raw-flip.tar.gz");
    std::fs::write(&raw_flip, &flipped).unwrap();
    let err = refused_into_empty(&raw_flip, Backend::Sqlite).await.unwrap();
    assert!(err.contains("damaged"), "{err}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    let newer = rewrite_entry(&archive, "manifest.json", |bytes| {
        let mut manifest: Manifest = serde_json::from_slice(bytes).unwrap();
        manifest.migrations.push("m9999_from_the_future".into());
        manifest.folio_version = "9.0.0".into();
        *bytes = serde_json::to_vec(&manifest).unwrap();
    });
    let err = refused_into_empty(&newer, Backend::Sqlite).await.unwrap();
    assert!(err.contains("schema") && err.contains("folio 9.0.0"), "{err}");

    let other_format = rewrite_entry(&archive, "manifest.json", |bytes| {
        let mut manifest: Manifest = serde_json::from_slice(bytes).unwrap();
        manifest.format_version = 99;
        *bytes = serde_json::to_vec(&manifest).unwrap();
    });
    let err = refused_into_empty(&other_format, Backend::Sqlite).await.unwrap();
    assert!(err.contains("format version 99"), "{err}");
    app.finish().await;
}

/// A target with one row (a migrated database with a user) is refused on every backend, and
/// keeps exactly what it had; its storage gets nothing.
async fn refused_into_filled_database(archive: &Path, backend: Backend) {
    let Some(target) = TestApp::spawn(backend).await else {
        return;
    };
    target.visitor().register("existing@example.org").await;
    let before = all_rows(target.db(), false).await;
    let err = restore(
        target.db(),
        &target.state().storage,
        archive,
        &Progress::plain("restore"),
    )
    .await
    .expect_err("a non-empty database must be refused");
    let err = format!("{err:#}");
    assert!(
        err.contains("target database is not empty") && err.contains("users"),
        "{err}"
    );
    assert_eq!(
        before,
        all_rows(target.db(), false).await,
        "the target is unchanged"
    );
    assert!(target.media_files().is_empty(), "no object was stored");
    target.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_rows_is_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        refused_into_filled_database(&archive, backend).await;
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_with_objects_is_refused_and_the_database_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (app, archive) = sqlite_archive(&dir).await;
    let s3 = S3Server::start().await;
    for media in [Media::Local, Media::S3] {
        let target = Target::create(Backend::Sqlite, media, &s3).await.unwrap();
        let stray = Key::parse("elsewhere/file.txt").unwrap();
        target
            .storage
            .put(&stray, "x".into(), "text/plain")
            .await
            .unwrap();
        let err = restore(&target.db, &target.storage, &archive, &Progress::plain("restore"))
            .await
            .expect_err("non-empty storage must be refused");
        let err = format!("{err:#}");
        assert!(
            err.contains("target storage") && err.contains("not empty"),
            "{err}"
        );
        assert!(existing_tables(&target.db).await.unwrap().is_empty(), "{media:?}");
        assert_eq!(target.storage.list(None).await.unwrap().len(), 1, "{media:?}");
        target.finish().await;
    }
    app.finish().await;
}

/// The snapshot is consistent while the app keeps writing: a writer commits a pad and a note
/// in it together, over and over, during the backup. `pads` is read before `notes`, so without
/// one snapshot the archive would hold notes whose pads it lacks; with it, the counts match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_writes_is_consistent() {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        app.visitor().register("writer@example.org").await;
        let user = folio_db::queries::users::find_by_email(app.db(), "writer@example.org")
            .await
            .unwrap()
            .unwrap();
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let writer = tokio::spawn(write_pairs(app.db().clone(), user.id, stopping));
        // Let some pairs land first, so the backup runs amid writes.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let dir = tempfile::tempdir().unwrap();
        let archive = archive_path(&dir);
        let manifest = backup(
            app.db(),
            &app.state().storage,
            &archive,
            &Progress::plain("backup"),
        )
        .await
        .unwrap();
        stop.send(true).unwrap();
        let written = writer.await.unwrap();
        let rows = |name: &str| manifest.tables.iter().find(|t| t.name == name).unwrap().rows;
        assert!(
            rows("pads") > 0 && written > rows("pads"),
            "{backend:?}: writes ran during the backup"
        );
        assert_eq!(rows("pads"), rows("notes"), "{backend:?}: one snapshot");
        app.finish().await;
    }
}

/// Commits a pad with a note in it, one pair per transaction, until told to stop; returns
/// how many pairs it wrote.
async fn write_pairs(
    db: DatabaseConnection,
    user_id: i64,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> u64 {
    use folio_db::entities::{note, pad};
    use sea_orm::TransactionTrait;
    let mut written = 0;
    while !*stopping.borrow() {
        let txn = db.begin().await.unwrap();
        let now = Utc::now();
        let pad = pad::ActiveModel {
            user_id: Set(user_id),
            name: Set(format!("pad {written}")),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
        note::ActiveModel {
            user_id: Set(user_id),
            pad_id: Set(Some(pad.id)),
            name: Set(format!("note {written}")),
            text: Set("x".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
        txn.commit().await.unwrap();
        written += 1;
    }
    written
}

/// Runs the built `folio` with `args` and only the given FOLIO_* variables, in `dir`; prints
/// the command and what it said (a transcript, with `--nocapture`).
fn run_folio(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_folio"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("FOLIO_") {
            command.env_remove(key);
        }
    }
    command.env("FOLIO_LOG_FORMAT", "json").envs(env.iter().copied());
    let output = command.output().unwrap();
    let shown: Vec<String> = env.iter().map(|(key, value)| format!("{key}={value}")).collect();
    eprintln!("$ {} folio {}", shown.join(" "), args.join(" "));
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    eprintln!("(exit {:?})", output.status.code());
    output
}

/// The binary as an operator runs it: `folio backup` of a SQLite app (while it runs), then
/// `folio restore` into an empty database of each backend, rows and media compared; a second
/// restore into the now-filled target is refused with one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_backs_up_sqlite_and_restores_into_each_backend() {
    let s3 = S3Server::start().await;
    let app = filled_app(Backend::Sqlite, Media::Local, &s3).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source_media = format!("file://{}", app.media_dir().display());
    let output = run_folio(
        dir.path(),
        &["backup", "-o", "folio-backup.tar.gz"],
        &[
            ("FOLIO_DATABASE_URL", app.database_url()),
            ("FOLIO_STORAGE_URL", &source_media),
        ],
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("backup: notes 4 rows"),
        "plain progress lines: {stderr}"
    );
    let archive = dir.path().join("folio-backup.tar.gz").display().to_string();

    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let Some(target) = Target::create(backend, Media::Local, &s3).await else {
            continue;
        };
        let target_media = tempfile::tempdir().unwrap();
        let target_storage = format!("file://{}", target_media.path().display());
        let env = [
            ("FOLIO_DATABASE_URL", target.database.url()),
            ("FOLIO_STORAGE_URL", target_storage.as_str()),
        ];
        let output = run_folio(dir.path(), &["restore", &archive], &env);
        assert!(output.status.success(), "{backend:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("restored "), "{stdout}");

        let to_micros = backend != Backend::Sqlite;
        let before = all_rows(app.db(), to_micros).await;
        let after = all_rows(&target.db, to_micros).await;
        for ((table, rows), (_, restored)) in before.iter().zip(&after) {
            eprintln!(
                "{backend:?}: {:<20} source {:>3} rows, restored {:>3} rows, equal: {}",
                table.name(),
                rows.len(),
                restored.len(),
                rows == restored
            );
            assert_eq!(rows, restored, "{backend:?}: {}", table.name());
        }
        let restored_storage = Storage::from_settings(&StorageSettings {
            url: target_storage.clone(),
            media_base_url: None,
            presign_expiry: std::time::Duration::from_secs(60),
        })
        .unwrap();
        let media = all_media(&app.state().storage).await;
        eprintln!(
            "{backend:?}: {} media objects, byte-identical: {}",
            media.len(),
            media == all_media(&restored_storage).await
        );
        assert_eq!(media, all_media(&restored_storage).await);

        let again = run_folio(dir.path(), &["restore", &archive], &env);
        assert_eq!(again.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&again.stderr);
        let last = stderr.trim().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: the target database is not empty"),
            "{stderr}"
        );
        assert_eq!(stderr.matches("error:").count(), 1, "one line of error: {stderr}");
        target.finish().await;
    }
    app.finish().await;
}

/// `folio backup -o -` writes the archive to standard output (the summary stays on standard
/// error), and what it wrote is a valid archive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_the_archive_to_stdout_with_a_dash() {
    let s3 = S3Server::start().await;
    let app = filled_app(Backend::Sqlite, Media::Local, &s3).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source_media = format!("file://{}", app.media_dir().display());
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_folio"));
    command
        .current_dir(dir.path())
        .args(["backup", "-o", "-"])
        .env("FOLIO_LOG_FORMAT", "json")
        .env("FOLIO_DATABASE_URL", app.database_url())
        .env("FOLIO_STORAGE_URL", &source_media);
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("wrote standard output"), "{stderr}");
    let archive = dir.path().join("from-stdout.tar.gz");
    std::fs::write(&archive, &output.stdout).unwrap();
    let manifest = verify(&archive, &Progress::plain("verify")).unwrap();
    check_manifest(&manifest, app.db()).await;
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "data/ (the generated secret) and the archive: {leftovers:?}"
    );
    app.finish().await;
}
