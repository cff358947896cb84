use std::path::PathBuf;

use super::key::BadKey;

/// Why `FOLIO_STORAGE_URL` (or the settings around it) can't be used. Messages name the
/// problem and never repeat the URL, which could carry user info.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the storage URL is not a valid URL: {0}")]
    NotAUrl(#[source] url::ParseError),
    #[error(
        "the storage URL has the unsupported scheme {0:?}: use file://DIR (relative), \
         file:///ABSOLUTE/DIR or s3://BUCKET/PREFIX"
    )]
    UnknownScheme(String),
    #[error("a file:// storage URL needs a directory, e.g. file://data/media")]
    MissingDirectory,
    #[error("the storage URL has query parameters this backend does not know: {0}")]
    UnknownParameters(String),
    #[error("the storage URL repeats the query parameter {0:?}")]
    RepeatedParameter(String),
    #[error("an s3:// storage URL needs a bucket name, e.g. s3://my-bucket/media")]
    MissingBucket,
    #[error(
        "{0:?} is not a valid S3 bucket name (3 to 63 characters of a-z, 0-9, '.' and '-', \
         starting and ending with a letter or digit)"
    )]
    BadBucket(String),
    #[error("the storage URL's prefix is not a valid key prefix: {0}")]
    BadPrefix(#[source] BadKey),
    #[error("the storage URL's endpoint must be an http:// or https:// URL")]
    BadEndpoint,
    #[error("the media base URL must be an http:// or https:// URL without query or fragment")]
    BadMediaBaseUrl,
    #[error("the presigned URL expiry must be between 1 second and 7 days, not {0} s")]
    BadPresignExpiry(u64),
    #[error(
        "an s3:// storage URL was given, but this binary was built without the `aws` feature \
         (rebuild with `--features aws`)"
    )]
    AwsNotBuiltIn,
    #[error("could not create or open the media directory {path}: {source}")]
    LocalDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not set up the object store: {0}")]
    Backend(#[source] object_store::Error),
}

/// An object store operation that failed. `op` and `key` say which; the source is the
/// backend's own error (object_store never puts credentials in its messages).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage {op} of {key} failed: {source}")]
    Backend {
        op: &'static str,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("storage listing of {prefix} failed: {source}")]
    Listing {
        prefix: String,
        #[source]
        source: object_store::Error,
    },
}

impl StorageError {
    pub(super) fn backend(op: &'static str, key: &super::Key, source: object_store::Error) -> Self {
        StorageError::Backend {
            op,
            key: key.to_string(),
            source,
        }
    }

    pub(super) fn listing(prefix: Option<&super::Key>, source: object_store::Error) -> Self {
        StorageError::Listing {
            prefix: prefix.map_or_else(|| "every object".to_owned(), |key| format!("{key}/")),
            source,
        }
    }
}
