//! Object storage chosen by `FOLIO_STORAGE_URL`.
//!
//! CONTRACT (owned by the storage helper; the web layer and jobs code against exactly this):
//!
//! ```ignore
//! /// A validated object key: 1..=512 bytes, '/'-separated segments of [A-Za-z0-9._-], no
//! /// empty, "." or ".." segment, no leading '.' in a segment. Never built from a user's file name.
//! pub struct Key(String);
//! impl Key {
//!     pub fn parse(s: &str) -> Result<Key, BadKey>;
//!     pub fn as_str(&self) -> &str;
//! }
//! impl Display for Key;
//!
//! pub struct StorageSettings {
//!     pub url: String,                     // file://data/media | file:///abs | s3://bucket/prefix?region=..&endpoint=..
//!     pub media_base_url: Option<String>,  // FOLIO_MEDIA_BASE_URL: CDN base; public URL = base + "/" + key
//!     pub presign_expiry: Duration,        // for S3 without a CDN
//! }
//!
//! #[derive(Clone)] pub struct Storage { .. }   // cheap to clone (Arcs)
//! impl Storage {
//!     /// Errors name what is wrong with the URL (unknown scheme, missing bucket, S3 asked for in
//!     /// a build without the `aws` feature, ...). The local directory is created if missing.
//!     pub fn from_settings(s: &StorageSettings) -> Result<Storage, ConfigError>;
//!     pub fn is_local(&self) -> bool;
//!     /// Stores `bytes` with its content type and `Cache-Control: public, max-age=31536000,
//!     /// immutable` (S3 object metadata; the local backend derives the type from the extension).
//!     /// Overwrites: writing the same key twice leaves one object.
//!     pub async fn put(&self, key: &Key, bytes: bytes::Bytes, content_type: &str) -> Result<(), StorageError>;
//!     /// None when the object does not exist.
//!     pub async fn get(&self, key: &Key) -> Result<Option<StoredObject>, StorageError>;
//!     pub async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, StorageError>;
//!     /// Deleting a missing object is not an error (jobs retry).
//!     pub async fn delete(&self, key: &Key) -> Result<(), StorageError>;
//!     /// Where a browser fetches the object: local -> "/media/{key}"; S3 with a CDN base ->
//!     /// "{base}/{key}"; S3 without -> a presigned GET URL valid for `presign_expiry`.
//!     pub async fn public_url(&self, key: &Key) -> Result<String, StorageError>;
//! }
//! pub struct StoredObject { pub bytes: bytes::Bytes, pub info: ObjectInfo }
//! pub struct ObjectInfo { pub size: u64, pub content_type: String, pub etag: String, pub last_modified: chrono-free SystemTime }
//! ```
