//! `folio backup` and `folio restore`: one archive with every table and every media object,
//! read from one consistent snapshot, restorable into an empty database of any backend and
//! any storage.
//!
//! The archive is a gzip-compressed tar file (any `tar` lists and unpacks it):
//!
//! ```text
//! manifest.json             format version, folio version, migrations, source backend,
//!                           per table its rows and SHA-256, per object key/size/SHA-256
//! tables/users.jsonl        one JSON object per row (the typed model), in foreign-key order
//! tables/pads.jsonl         ...
//! media/images/<uuid>/original.jpg   the objects the snapshot's images rows own
//! ```
//!
//! The database side (snapshot, typed rows, emptiness, sequences) is `folio_db::backup`; the
//! storage side is `folio_storage::Storage::{list, is_empty}`; this module is the archive
//! format and the order of the steps.

mod archive;
mod create;
mod manifest;
mod progress;
mod restore;

pub use archive::STDOUT;
pub use create::backup;
pub use manifest::{FORMAT_VERSION, Manifest, MediaEntry, TableEntry};
pub use progress::Progress;
pub use restore::{restore, verify};
