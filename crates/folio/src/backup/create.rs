//! `folio backup`: the rows from one snapshot, then the media those rows own, into one archive.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use folio_db::backup::{self as db_backup, ExportError, Table};
use folio_db::{DatabaseConnection, DbBackend};
use folio_storage::{Key, Storage};

use super::archive::{ArchiveWriter, HashingWriter, sha256_hex};
use super::manifest::{
    FORMAT_NAME, FORMAT_VERSION, MANIFEST_PATH, Manifest, MediaEntry, TableEntry, table_path,
};
use super::progress::Progress;

/// Writes the archive to `output` and returns its manifest.
///
/// Steps, and why in this order:
/// 1. Every table is read inside one read-only snapshot transaction
///    ([`db_backup::begin_snapshot`]) into spool files beside the output, hashing as it goes;
///    the transaction ends as soon as the rows are read, so it is held for the time of a
///    sequential read of the database, never while media is copied.
/// 2. The objects of the snapshot's `images` rows are listed and hashed (objects are
///    immutable: a key is never rewritten, so a later read gives the same bytes).
/// 3. The archive is written: the manifest (which needs every count and hash) first, then the
///    spooled tables, then the objects, read again and checked against their hashes.
///
/// Objects no `images` row owns (an upload whose row was never committed, what a delete job
/// has not removed yet) are not backed up: nothing in the database can reach them.
pub async fn backup(
    db: &DatabaseConnection,
    storage: &Storage,
    output: &Path,
    progress: &Progress,
) -> anyhow::Result<Manifest> {
    let spool = spool_dir(output)?;
    let snapshot = read_snapshot(db, spool.path(), progress).await?;
    let media = hash_media(storage, &snapshot.image_keys, progress).await?;
    let manifest = Manifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        folio_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: chrono::Utc::now(),
        source_backend: backend_name(db).to_owned(),
        migrations: snapshot.migrations,
        tables: snapshot.tables,
        media,
    };
    let mut writer = ArchiveWriter::create(output, manifest.created_at.timestamp().max(0) as u64)?;
    match write_archive(&mut writer, &manifest, spool.path(), storage, progress).await {
        Ok(()) => writer.finish()?,
        Err(err) => {
            writer.abandon();
            return Err(err);
        }
    }
    let written_to = match output.to_str() {
        Some(super::archive::STDOUT) => "standard output".to_owned(),
        _ => output.display().to_string(),
    };
    progress.note(&format!(
        "wrote {written_to} ({} tables, {} rows, {} media objects)",
        manifest.tables.len(),
        manifest.tables.iter().map(|t| t.rows).sum::<u64>(),
        manifest.media.len()
    ));
    Ok(manifest)
}

/// Spool files go next to the output (same file system, and the operator chose a place with
/// room for a backup), not to a possibly small /tmp.
fn spool_dir(output: &Path) -> anyhow::Result<tempfile::TempDir> {
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".folio-backup-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a spool directory in {}", parent.display()))
}

fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::MySql => "mysql",
        _ => "sqlite",
    }
}

/// What the snapshot gave: the tables spooled, the migrations, and the images' keys.
struct Snapshot {
    tables: Vec<TableEntry>,
    migrations: Vec<String>,
    image_keys: Vec<String>,
}

async fn read_snapshot(
    db: &DatabaseConnection,
    spool: &Path,
    progress: &Progress,
) -> anyhow::Result<Snapshot> {
    let txn = db_backup::begin_snapshot(db)
        .await
        .context("starting the snapshot transaction")?;
    let migrations = db_backup::applied_migrations(&txn)
        .await
        .context("reading the applied migrations")?;
    let known = db_backup::known_migrations();
    if migrations != known {
        bail!(
            "the database has {} migration(s) applied and this folio knows {}: back up with the folio \
             version that runs this database (run `folio migrate` first if it is behind)",
            migrations.len(),
            known.len()
        );
    }
    let mut tables = Vec::new();
    let mut image_keys = Vec::new();
    for table in Table::ALL {
        let mut step = progress.step(table.name(), "rows", None);
        let entry = spool_table(&txn, table, spool, &mut step, &mut image_keys).await?;
        step.finish();
        tables.push(entry);
    }
    // Read-only: ending it either way releases the snapshot.
    txn.rollback().await.context("ending the snapshot transaction")?;
    Ok(Snapshot {
        tables,
        migrations,
        image_keys,
    })
}

/// The part of an `images` row a backup needs.
#[derive(serde::Deserialize)]
struct ImageKey {
    key: String,
}

async fn spool_table(
    txn: &folio_db::DatabaseTransaction,
    table: Table,
    spool: &Path,
    step: &mut super::progress::Step,
    image_keys: &mut Vec<String>,
) -> anyhow::Result<TableEntry> {
    let path = spool.join(format!("{}.jsonl", table.name()));
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = HashingWriter::new(BufWriter::new(file));
    let rows = db_backup::export_table(txn, table, |line| {
        if table == Table::Images {
            let image: ImageKey = serde_json::from_str(&line)?;
            image_keys.push(image.key);
        }
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        step.inc(1);
        Ok::<(), anyhow::Error>(())
    })
    .await
    .map_err(|err| match err {
        ExportError::Sink(err) => err,
        ExportError::Db(err) => anyhow::Error::new(err),
        ExportError::Serialize(err) => anyhow::Error::new(err),
    })
    .with_context(|| format!("reading table {}", table.name()))?;
    let (buffered, sha256, _) = out.finish();
    buffered
        .into_inner()
        .map_err(|err| err.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(TableEntry {
        name: table.name().to_owned(),
        rows,
        sha256,
    })
}

/// Lists each image's objects and hashes them, one object in memory at a time.
async fn hash_media(
    storage: &Storage,
    image_keys: &[String],
    progress: &Progress,
) -> anyhow::Result<Vec<MediaEntry>> {
    let mut step = progress.step("media of", "images", Some(image_keys.len() as u64));
    let mut media = Vec::new();
    for base in image_keys {
        let prefix =
            Key::parse(base).with_context(|| format!("the images row {base:?} is not a storage key"))?;
        let objects = storage.list(Some(&prefix)).await?;
        if objects.is_empty() {
            progress.note(&format!("warning: image {base} has no objects in storage"));
        }
        for (key, _) in objects {
            // Listed a moment ago; gone now means a delete job removed it after the snapshot
            // was read (its row is gone in the live database): nothing to keep.
            let Some(object) = storage.get(&key).await? else {
                continue;
            };
            media.push(MediaEntry {
                key: key.as_str().to_owned(),
                size: object.bytes.len() as u64,
                sha256: sha256_hex(&object.bytes),
                content_type: object.info.content_type,
            });
        }
        step.inc(1);
    }
    step.finish();
    Ok(media)
}

async fn write_archive(
    writer: &mut ArchiveWriter,
    manifest: &Manifest,
    spool: &Path,
    storage: &Storage,
    progress: &Progress,
) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(manifest).context("serializing the manifest")?;
    writer.append(MANIFEST_PATH, json.len() as u64, json.as_slice())?;
    for table in &manifest.tables {
        let path = spool.join(format!("{}.jsonl", table.name));
        let file = File::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let size = file.metadata()?.len();
        writer.append(&table_path(&table.name), size, file)?;
    }
    let mut step = progress.step("media", "objects", Some(manifest.media.len() as u64));
    for entry in &manifest.media {
        let key = Key::parse(&entry.key)?;
        let Some(object) = storage.get(&key).await? else {
            bail!(
                "the object {} disappeared during the backup (deleted meanwhile?): run the backup again",
                entry.key
            );
        };
        if sha256_hex(&object.bytes) != entry.sha256 {
            bail!(
                "the object {} changed during the backup: run the backup again",
                entry.key
            );
        }
        writer.append(&entry.path(), entry.size, object.bytes.as_ref())?;
        step.inc(1);
    }
    step.finish();
    Ok(())
}
