//! `manifest.json`: what an archive holds, so that a restore can check all of it before it
//! writes anything.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The archive layout this binary writes and reads. Bump it when the layout changes; a
/// restore refuses versions it does not know.
pub const FORMAT_VERSION: u32 = 1;

/// Written first in the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `folio-backup`: tells a Folio archive from any other tar file.
    pub format: String,
    pub format_version: u32,
    /// The version of the `folio` that wrote it.
    pub folio_version: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite`, `postgres` or `mysql`.
    pub source_backend: String,
    /// The migrations the source had applied, in order: the schema the rows have.
    pub migrations: Vec<String>,
    /// In the order they appear in the archive, which is foreign-key order.
    pub tables: Vec<TableEntry>,
    pub media: Vec<MediaEntry>,
}

pub const FORMAT_NAME: &str = "folio-backup";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub rows: u64,
    /// SHA-256 of the table's file, hex.
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    /// Restored with the object, so S3 serves it with the same type.
    pub content_type: String,
}

impl TableEntry {
    /// Where its rows are in the archive.
    pub fn path(&self) -> String {
        table_path(&self.name)
    }
}

impl MediaEntry {
    pub fn path(&self) -> String {
        media_path(&self.key)
    }
}

pub const MANIFEST_PATH: &str = "manifest.json";

pub fn table_path(name: &str) -> String {
    format!("tables/{name}.jsonl")
}

pub fn media_path(key: &str) -> String {
    format!("media/{key}")
}
