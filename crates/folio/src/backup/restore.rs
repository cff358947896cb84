//! `folio restore`: check the whole archive, check the target is empty, and only then write.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, bail, ensure};
use folio_db::backup::{self as db_backup, Table};
use folio_db::{DatabaseConnection, Migrator, MigratorTrait};
use folio_storage::{Key, Storage};
use sha2::{Digest, Sha256};

use super::archive::{self, HashingWriter};
use super::manifest::{FORMAT_NAME, FORMAT_VERSION, MANIFEST_PATH, Manifest, MediaEntry, TableEntry};
use super::progress::Progress;

/// Every error from reading the archive's bytes says this, so that a bad file is told apart
/// from a bad target.
const DAMAGED: &str = "the archive is damaged or truncated";

/// Restores the archive at `path` into `db` and `storage`, which must hold no Folio rows and no
/// objects. Nothing is written unless the whole archive checks out (see [`verify`]) and the
/// target is empty. The rows go in one transaction, committed last: a failure on the way
/// (a media upload, a constraint) leaves the database without rows (MySQL keeps the tables
/// the migrations created: its DDL can't be rolled back).
pub async fn restore(
    db: &DatabaseConnection,
    storage: &Storage,
    path: &Path,
    progress: &Progress,
) -> anyhow::Result<Manifest> {
    let manifest = verify(path, &progress.with_verb("verify"))?;
    ensure_empty(db, storage).await?;
    Migrator::up(db, None)
        .await
        .context("migrating the target database")?;
    let mut stored = 0u64;
    write_target(db, storage, path, &manifest, progress, &mut stored)
        .await
        .map_err(|err| {
            if stored == 0 {
                return err;
            }
            // The rows were rolled back, the objects can't be: say so, since a second attempt
            // will find the storage not empty.
            err.context(format!(
                "the restore stopped with no rows restored, but {stored} object(s) already stored: \
                 empty the target storage before trying again"
            ))
        })?;
    progress.note(&format!(
        "restored {} rows in {} tables and {} media objects from {}",
        manifest.tables.iter().map(|t| t.rows).sum::<u64>(),
        manifest.tables.len(),
        manifest.media.len(),
        path.display()
    ));
    Ok(manifest)
}

/// Rows in one transaction, committed after the last object is stored; `stored` counts the
/// objects put so far.
async fn write_target(
    db: &DatabaseConnection,
    storage: &Storage,
    path: &Path,
    manifest: &Manifest,
    progress: &Progress,
    stored: &mut u64,
) -> anyhow::Result<()> {
    let txn = folio_db::begin_write(db)
        .await
        .context("starting the restore transaction")?;
    load(&txn, storage, path, manifest, progress, stored).await?;
    db_backup::fix_sequences(&txn)
        .await
        .context("setting the id sequences after the restored rows")?;
    txn.commit().await.context("committing the restored rows")
}

/// Refuses a target holding any Folio row or any object: a restore never merges.
async fn ensure_empty(db: &DatabaseConnection, storage: &Storage) -> anyhow::Result<()> {
    let filled = db_backup::tables_with_rows(db)
        .await
        .context("checking that the target database is empty")?;
    if !filled.is_empty() {
        let names: Vec<&str> = filled.iter().map(|table| table.name()).collect();
        bail!(
            "the target database is not empty (rows in {}): restore only into an empty database",
            names.join(", ")
        );
    }
    let empty = storage
        .is_empty()
        .await
        .context("checking that the target storage is empty")?;
    ensure!(
        empty,
        "the target storage (FOLIO_STORAGE_URL) is not empty: restore only into empty storage"
    );
    Ok(())
}

/// Reads the whole archive and checks it against its manifest, writing nothing: the format
/// and its version, the migrations (a prefix of this binary's), every table's row count and
/// SHA-256 and every row's shape (typed), every object's size and SHA-256, nothing missing,
/// nothing extra, and the compressed stream's own checksum at the end.
pub fn verify(path: &Path, progress: &Progress) -> anyhow::Result<Manifest> {
    let mut archive = archive::open(path)?;
    let mut entries = archive.entries().context(DAMAGED)?;
    let manifest = match entries.next() {
        Some(first) => read_manifest(first.context(DAMAGED)?)?,
        None => bail!("{DAMAGED}: it holds no files"),
    };
    check_manifest(&manifest)?;
    let tables: HashMap<String, &TableEntry> = manifest.tables.iter().map(|t| (t.path(), t)).collect();
    let media: HashMap<String, &MediaEntry> = manifest.media.iter().map(|m| (m.path(), m)).collect();
    let mut seen = HashSet::new();
    let mut objects = progress.step("media", "objects", Some(manifest.media.len() as u64));
    for entry in entries {
        let entry = entry.context(DAMAGED)?;
        let name = entry_name(&entry)?;
        ensure!(seen.insert(name.clone()), "{DAMAGED}: {name} appears twice");
        if let Some(table) = tables.get(&name) {
            check_table(table, entry, progress)?;
        } else if let Some(object) = media.get(&name) {
            check_object(object, entry)?;
            objects.inc(1);
        } else {
            bail!("{DAMAGED}: {name} is not in its manifest");
        }
    }
    objects.finish();
    archive::read_to_end(archive).context(DAMAGED)?;
    let missing: Vec<&String> = tables
        .keys()
        .chain(media.keys())
        .filter(|name| !seen.contains(*name))
        .collect();
    if let Some(first) = missing.first() {
        bail!(
            "{DAMAGED}: {} file(s) of its manifest are missing, e.g. {first}",
            missing.len()
        );
    }
    Ok(manifest)
}

fn read_manifest(entry: impl Read) -> anyhow::Result<Manifest> {
    // Bounded: a manifest is small next to what it describes, but a damaged size field must
    // not make us read gigabytes as JSON.
    let mut json = Vec::new();
    entry
        .take(256 * 1024 * 1024)
        .read_to_end(&mut json)
        .context(DAMAGED)?;
    serde_json::from_slice(&json)
        .with_context(|| format!("{DAMAGED}: {MANIFEST_PATH} does not parse (not a Folio backup?)"))
}

fn entry_name(entry: &tar::Entry<'_, impl Read>) -> anyhow::Result<String> {
    let path = entry.path().context(DAMAGED)?;
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("{DAMAGED}: an entry's name is not UTF-8"))
}

fn check_manifest(manifest: &Manifest) -> anyhow::Result<()> {
    ensure!(
        manifest.format == FORMAT_NAME,
        "not a Folio backup: its manifest says format {:?}",
        manifest.format
    );
    ensure!(
        manifest.format_version == FORMAT_VERSION,
        "the archive has format version {}, this folio reads version {FORMAT_VERSION}: restore it with the \
         folio version that wrote it ({})",
        manifest.format_version,
        manifest.folio_version
    );
    let known = db_backup::known_migrations();
    let is_prefix = manifest.migrations.len() <= known.len() && known.starts_with(&manifest.migrations);
    ensure!(
        is_prefix,
        "the archive's schema is not one this folio knows ({} migration(s), written by folio {}; this folio \
         has {}): restore it with folio {} or newer",
        manifest.migrations.len(),
        manifest.folio_version,
        known.len(),
        manifest.folio_version
    );
    // Every table this binary has must be in the archive, once, and nothing else.
    let mut names = HashSet::new();
    for table in &manifest.tables {
        ensure!(
            Table::from_name(&table.name).is_some(),
            "the archive has a table this folio does not know: {}",
            table.name
        );
        ensure!(
            names.insert(table.name.as_str()),
            "{DAMAGED}: its manifest lists {} twice",
            table.name
        );
    }
    for table in Table::ALL {
        ensure!(
            names.contains(table.name()),
            "the archive has no table {} (written by an older folio?)",
            table.name()
        );
    }
    for object in &manifest.media {
        Key::parse(&object.key)
            .with_context(|| format!("{DAMAGED}: {:?} is not a storage key", object.key))?;
    }
    Ok(())
}

/// Counts, hashes and type-checks every row of one table file.
fn check_table(expected: &TableEntry, entry: impl Read, progress: &Progress) -> anyhow::Result<()> {
    let table = Table::from_name(&expected.name).context("checked in check_manifest")?;
    let mut step = progress.step(table.name(), "rows", Some(expected.rows));
    let mut rows = 0u64;
    let mut hasher = Sha256::new();
    let mut reader = BufReader::new(entry);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).context(DAMAGED)? == 0 {
            break;
        }
        hasher.update(&line);
        rows += 1;
        let text = std::str::from_utf8(&line)
            .ok()
            .with_context(|| format!("{DAMAGED}: {} row {rows} is not UTF-8", expected.path()))?;
        db_backup::check_row(table, text.trim_end_matches('\n')).with_context(|| {
            format!(
                "{DAMAGED}: {} row {rows} is not a {} row of this version",
                expected.path(),
                table.name()
            )
        })?;
        step.inc(1);
    }
    step.finish();
    ensure!(
        rows == expected.rows,
        "{DAMAGED}: {} has {rows} rows, its manifest says {}",
        expected.path(),
        expected.rows
    );
    ensure!(
        hex::encode(hasher.finalize()) == expected.sha256,
        "{DAMAGED}: {} does not match its SHA-256 in the manifest",
        expected.path()
    );
    Ok(())
}

fn check_object(expected: &MediaEntry, mut entry: impl Read) -> anyhow::Result<()> {
    let mut hashing = HashingWriter::new(std::io::sink());
    std::io::copy(&mut entry, &mut hashing).context(DAMAGED)?;
    let (_, sha256, size) = hashing.finish();
    ensure!(
        size == expected.size && sha256 == expected.sha256,
        "{DAMAGED}: {} does not match its size and SHA-256 in the manifest",
        expected.path()
    );
    Ok(())
}

/// The second pass, after [`verify`]: rows into the transaction in batches, objects into
/// storage, in archive order (tables are in foreign-key order there).
async fn load(
    txn: &folio_db::DatabaseTransaction,
    storage: &Storage,
    path: &Path,
    manifest: &Manifest,
    progress: &Progress,
    stored: &mut u64,
) -> anyhow::Result<()> {
    let tables: HashMap<String, &TableEntry> = manifest.tables.iter().map(|t| (t.path(), t)).collect();
    let media: HashMap<String, &MediaEntry> = manifest.media.iter().map(|m| (m.path(), m)).collect();
    let mut archive = archive::open(path)?;
    let mut objects = progress.step("media", "objects", Some(manifest.media.len() as u64));
    for entry in archive.entries().context(DAMAGED)? {
        let entry = entry.context(DAMAGED)?;
        let name = entry_name(&entry)?;
        if let Some(table) = tables.get(&name) {
            load_table(txn, table, entry, progress).await?;
        } else if let Some(object) = media.get(&name) {
            put_object(storage, object, entry).await?;
            *stored += 1;
            objects.inc(1);
        }
    }
    objects.finish();
    Ok(())
}

async fn load_table(
    txn: &folio_db::DatabaseTransaction,
    expected: &TableEntry,
    entry: impl Read,
    progress: &Progress,
) -> anyhow::Result<()> {
    let table = Table::from_name(&expected.name).context("checked in verify")?;
    let mut step = progress.step(table.name(), "rows", Some(expected.rows));
    let mut batch = Vec::with_capacity(db_backup::IMPORT_BATCH);
    for line in BufReader::new(entry).lines() {
        batch.push(line.context(DAMAGED)?);
        if batch.len() == db_backup::IMPORT_BATCH {
            insert(txn, table, &mut batch, &mut step).await?;
        }
    }
    insert(txn, table, &mut batch, &mut step).await?;
    step.finish();
    Ok(())
}

async fn insert(
    txn: &folio_db::DatabaseTransaction,
    table: Table,
    batch: &mut Vec<String>,
    step: &mut super::progress::Step,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    db_backup::import_rows(txn, table, batch)
        .await
        .with_context(|| format!("inserting rows into {}", table.name()))?;
    step.inc(batch.len() as u64);
    batch.clear();
    Ok(())
}

async fn put_object(storage: &Storage, object: &MediaEntry, mut entry: impl Read) -> anyhow::Result<()> {
    let mut bytes = Vec::with_capacity(usize::try_from(object.size).unwrap_or_default());
    entry.read_to_end(&mut bytes).context(DAMAGED)?;
    let key = Key::parse(&object.key)?;
    storage
        .put(&key, bytes.into(), &object.content_type)
        .await
        .with_context(|| format!("storing {}", object.key))
}
