//! Object storage chosen by `FOLIO_STORAGE_URL`: a local directory (`file://`) or an S3 bucket
//! (`s3://`, with the `aws` feature).
//!
//! Everything goes through [`Storage`], which takes validated [`Key`]s, so no caller builds a
//! path or URL from a string by hand. Objects are written once under a fresh key and never
//! changed, which is why every object is served as `immutable`.

mod error;
mod key;
mod local;
#[cfg(feature = "aws")]
mod s3;
mod settings;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, GetOptions, GetResult, ObjectMeta, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload,
};

pub use error::{ConfigError, StorageError};
pub use key::{BadKey, Key, MAX_KEY_LEN};
pub use settings::StorageSettings;

use settings::Target;

/// Sent with every object: keys are never reused for other content.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// An object and what is known about it.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub bytes: Bytes,
    pub info: ObjectInfo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: String,
    /// A quoted HTTP entity tag, ready for an `ETag` header (`"abc"` or `W/"abc"`).
    pub etag: String,
    pub last_modified: SystemTime,
}

/// The configured object store. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    backend: Arc<Backend>,
}

enum Backend {
    Local,
    #[cfg(feature = "aws")]
    S3 {
        s3: s3::S3Backend,
        /// Without '/' at either end; applied to every key, presigned URLs included.
        prefix: Option<String>,
    },
}

impl fmt::Debug for Storage {
    // Hand-written so no client configuration (and so no credential) can reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .finish()
    }
}

impl Storage {
    /// Errors name what is wrong with the URL (unknown scheme, missing bucket, S3 asked for in
    /// a build without the `aws` feature, ...). The local directory is created if missing.
    /// S3 credentials come from the standard AWS environment chain.
    pub fn from_settings(settings: &StorageSettings) -> Result<Storage, ConfigError> {
        Self::build(settings, None)
    }

    /// Like [`Storage::from_settings`], with S3 keys given here instead of taken from the
    /// environment: for S3-compatible servers whose keys live elsewhere, and for tests, which
    /// run in parallel and so can't each set process-wide `AWS_*` variables. The keys are
    /// ignored by the local backend.
    pub fn from_settings_with_credentials(
        settings: &StorageSettings,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Storage, ConfigError> {
        Self::build(settings, Some((access_key, secret_key)))
    }

    fn build(settings: &StorageSettings, keys: Option<(&str, &str)>) -> Result<Storage, ConfigError> {
        match Target::parse(&settings.url)? {
            Target::Local { root } => Ok(Storage {
                store: local::open(&root)?,
                backend: Arc::new(Backend::Local),
            }),
            Target::S3(target) => Self::build_s3(settings, target, keys),
        }
    }

    #[cfg(feature = "aws")]
    fn build_s3(
        settings: &StorageSettings,
        target: settings::S3Target,
        keys: Option<(&str, &str)>,
    ) -> Result<Storage, ConfigError> {
        let media_base = settings::parse_media_base(settings.media_base_url.as_deref())?;
        let presign_expiry = settings::check_presign_expiry(settings.presign_expiry)?;
        let keys = keys.map(|(access_key, secret_key)| s3::StaticKeys {
            access_key,
            secret_key,
        });
        let s3 = s3::S3Backend {
            client: Arc::new(s3::client(&target, keys)?),
            media_base,
            presign_expiry,
        };
        Ok(Storage {
            store: s3.store(),
            backend: Arc::new(Backend::S3 {
                s3,
                prefix: target.prefix,
            }),
        })
    }

    #[cfg(not(feature = "aws"))]
    fn build_s3(
        _settings: &StorageSettings,
        _target: settings::S3Target,
        _keys: Option<(&str, &str)>,
    ) -> Result<Storage, ConfigError> {
        Err(ConfigError::AwsNotBuiltIn)
    }

    pub fn is_local(&self) -> bool {
        matches!(*self.backend, Backend::Local)
    }

    /// Stores `bytes` with its content type and `Cache-Control: public, max-age=31536000,
    /// immutable` (S3 object metadata; the local backend derives the type from the extension).
    /// Overwrites: writing the same key twice leaves one object.
    pub async fn put(&self, key: &Key, bytes: Bytes, content_type: &str) -> Result<(), StorageError> {
        let options = PutOptions {
            attributes: self.attributes(content_type),
            ..PutOptions::default()
        };
        self.store
            .put_opts(&self.location(key), PutPayload::from(bytes), options)
            .await
            .map_err(|e| StorageError::backend("put", key, e))?;
        Ok(())
    }

    /// None when the object does not exist.
    pub async fn get(&self, key: &Key) -> Result<Option<StoredObject>, StorageError> {
        let Some(result) = self.fetch(key, GetOptions::default(), "get").await? else {
            return Ok(None);
        };
        let info = self.info(key, &result);
        let bytes = result
            .bytes()
            .await
            .map_err(|e| StorageError::backend("get", key, e))?;
        Ok(Some(StoredObject { bytes, info }))
    }

    /// None when the object does not exist.
    pub async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, StorageError> {
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = self.fetch(key, options, "head").await?;
        Ok(result.map(|r| self.info(key, &r)))
    }

    /// Deleting a missing object is not an error (jobs retry).
    pub async fn delete(&self, key: &Key) -> Result<(), StorageError> {
        match self.store.delete(&self.location(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::backend("delete", key, e)),
        }
    }

    /// Where a browser fetches the object: local -> "/media/{key}"; S3 with a CDN base ->
    /// "{base}/{key}"; S3 without -> a presigned GET URL valid for `presign_expiry`.
    pub async fn public_url(&self, key: &Key) -> Result<String, StorageError> {
        match &*self.backend {
            Backend::Local => Ok(format!("/media/{key}")),
            #[cfg(feature = "aws")]
            Backend::S3 { s3, .. } => match &s3.media_base {
                Some(base) => Ok(format!("{base}/{key}")),
                None => s3
                    .presigned_get(&self.location(key))
                    .await
                    .map_err(|e| StorageError::backend("presign", key, e)),
            },
        }
    }

    /// A URL that keeps working (for emails, which are read days later): local ->
    /// "/media/{key}" (relative: the caller puts the site's base in front); S3 with a CDN base
    /// -> "{base}/{key}"; S3 without -> None, as its only URLs are presigned ones that expire.
    pub fn lasting_url(&self, key: &Key) -> Option<String> {
        match &*self.backend {
            Backend::Local => Some(format!("/media/{key}")),
            #[cfg(feature = "aws")]
            Backend::S3 { s3, .. } => s3.media_base.as_ref().map(|base| format!("{base}/{key}")),
        }
    }

    /// The objects under `prefix` (a key prefix such as `images/<uuid>`, matched by whole
    /// segments; `None`: every object), with their sizes, sorted by key. Used by backups, which
    /// list one image's objects at a time, so the answer stays small.
    ///
    /// Anything in the location that is not a valid [`Key`] (e.g. a stray file a person put
    /// in the media directory) is left out: Folio never wrote it and could not serve it.
    pub async fn list(&self, prefix: Option<&Key>) -> Result<Vec<(Key, u64)>, StorageError> {
        use futures_util::TryStreamExt;
        let location = self.list_location(prefix);
        let metas: Vec<ObjectMeta> = self
            .store
            .list(location.as_ref())
            .try_collect()
            .await
            .map_err(|e| StorageError::listing(prefix, e))?;
        let mut objects: Vec<(Key, u64)> = metas
            .into_iter()
            .filter_map(|meta| Some((self.key_of(&meta.location)?, meta.size)))
            .collect();
        objects.sort();
        Ok(objects)
    }

    /// Whether the storage holds no object at all (restore refuses a target that has some).
    /// Stops at the first object found, so a full bucket costs one listing page.
    pub async fn is_empty(&self) -> Result<bool, StorageError> {
        use futures_util::StreamExt;
        let location = self.list_location(None);
        let mut stream = self.store.list(location.as_ref());
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|e| StorageError::listing(None, e))?;
            if self.key_of(&meta.location).is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Where a listing starts: the key prefix under the storage's own prefix.
    fn list_location(&self, prefix: Option<&Key>) -> Option<Path> {
        match prefix {
            Some(key) => Some(self.location(key)),
            None => self.root(),
        }
    }

    /// The storage's own prefix (S3 `s3://bucket/prefix`), or the root.
    fn root(&self) -> Option<Path> {
        match &*self.backend {
            Backend::Local => None,
            #[cfg(feature = "aws")]
            Backend::S3 { prefix, .. } => prefix.as_deref().map(Path::from),
        }
    }

    /// The key a listed location stands for (the storage's prefix taken off), if it is one.
    fn key_of(&self, location: &Path) -> Option<Key> {
        let full = location.as_ref();
        let relative = match self.root() {
            Some(root) => full.strip_prefix(root.as_ref())?.strip_prefix('/')?,
            None => full,
        };
        Key::parse(relative).ok()
    }

    /// A get (or head) where a missing object is `None` rather than an error.
    async fn fetch(
        &self,
        key: &Key,
        options: GetOptions,
        op: &'static str,
    ) -> Result<Option<GetResult>, StorageError> {
        match self.store.get_opts(&self.location(key), options).await {
            Ok(result) => Ok(Some(result)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::backend(op, key, e)),
        }
    }

    fn location(&self, key: &Key) -> Path {
        // Keys (and the prefix, checked as a key) only hold characters object_store takes
        // verbatim, so this never re-encodes anything.
        match &*self.backend {
            Backend::Local => Path::from(key.as_str()),
            #[cfg(feature = "aws")]
            Backend::S3 { prefix: None, .. } => Path::from(key.as_str()),
            #[cfg(feature = "aws")]
            Backend::S3 {
                prefix: Some(prefix), ..
            } => Path::from(format!("{prefix}/{key}")),
        }
    }

    /// LocalFileSystem refuses any attribute, so only S3 gets them.
    fn attributes(&self, content_type: &str) -> Attributes {
        if self.is_local() {
            return Attributes::new();
        }
        Attributes::from_iter([
            (Attribute::ContentType, content_type.to_owned()),
            (Attribute::CacheControl, CACHE_CONTROL.to_owned()),
        ])
    }

    fn info(&self, key: &Key, result: &GetResult) -> ObjectInfo {
        let stored_type = result.attributes.get(&Attribute::ContentType);
        let content_type = match stored_type {
            Some(value) if !self.is_local() => value.to_string(),
            _ => local::content_type_for(key).to_owned(),
        };
        ObjectInfo {
            size: result.meta.size,
            content_type,
            etag: http_etag(&result.meta),
            last_modified: SystemTime::from(result.meta.last_modified),
        }
    }
}

/// S3 sends its ETag quoted, LocalFileSystem sends a bare inode-mtime-size tag: both become a
/// valid HTTP entity tag. Without one, size and modification time stand in, as the local one.
fn http_etag(meta: &ObjectMeta) -> String {
    match meta.e_tag.as_deref() {
        Some(tag) if tag.starts_with('"') || tag.starts_with("W/\"") => tag.to_owned(),
        Some(tag) => format!("\"{}\"", tag.replace('"', "")),
        None => format!(
            "\"{:x}-{:x}\"",
            meta.size,
            meta.last_modified.timestamp_nanos_opt().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(e_tag: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            location: Path::from("a"),
            last_modified: chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::seconds(1),
            size: 255,
            e_tag: e_tag.map(str::to_owned),
            version: None,
        }
    }

    #[test]
    fn etags_are_quoted_once() {
        assert_eq!(http_etag(&meta(Some("\"abc\""))), "\"abc\"");
        assert_eq!(http_etag(&meta(Some("W/\"abc\""))), "W/\"abc\"");
        assert_eq!(http_etag(&meta(Some("1a2b-5f-ff"))), "\"1a2b-5f-ff\"");
    }

    #[test]
    fn a_missing_etag_is_derived_from_size_and_time() {
        assert_eq!(http_etag(&meta(None)), "\"ff-3b9aca00\"");
    }

    #[cfg(not(feature = "aws"))]
    #[test]
    fn s3_in_a_build_without_aws_says_so() {
        let settings = StorageSettings {
            url: "s3://folio-media/media?region=eu-central-1".into(),
            media_base_url: None,
            presign_expiry: std::time::Duration::from_secs(60),
        };
        let Err(err) = Storage::from_settings(&settings) else {
            panic!("S3 can't work without the aws feature");
        };
        assert!(matches!(err, ConfigError::AwsNotBuiltIn));
        assert!(err.to_string().contains("`aws` feature"), "{err}");
    }
}
