use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::key::Key;

/// S3's own limit for a presigned URL's lifetime.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What the deployment says about storage.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// `file://data/media` (relative to the working directory), `file:///abs/dir`, or
    /// `s3://bucket/prefix?region=eu-central-1&endpoint=http://127.0.0.1:9000`.
    pub url: String,
    /// A CDN (or public bucket) base for S3: the public URL is `{base}/{key}`, so the base
    /// must already point at the storage prefix. Ignored by the local backend.
    pub media_base_url: Option<String>,
    /// How long a presigned GET URL stays valid (S3 without `media_base_url`).
    pub presign_expiry: Duration,
}

impl StorageSettings {
    /// Checks the settings as [`super::Storage::from_settings`] would, without creating a
    /// directory or a client: configuration is checked before the async runtime exists.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match Target::parse(&self.url)? {
            Target::Local { .. } => Ok(()),
            Target::S3(_) if cfg!(not(feature = "aws")) => Err(ConfigError::AwsNotBuiltIn),
            Target::S3(_) => {
                parse_media_base(self.media_base_url.as_deref())?;
                check_presign_expiry(self.presign_expiry)?;
                Ok(())
            }
        }
    }
}

/// Where the storage URL points, checked but not yet connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Local { root: PathBuf },
    S3(S3Target),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Target {
    pub bucket: String,
    /// Validated like a key, without leading or trailing '/'.
    pub prefix: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<url::Url>,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, ConfigError> {
        if let Some(rest) = url.strip_prefix("file://") {
            return parse_file(rest);
        }
        let parsed = url::Url::parse(url).map_err(ConfigError::NotAUrl)?;
        match parsed.scheme() {
            "s3" => parse_s3(url, &parsed).map(Target::S3),
            other => Err(ConfigError::UnknownScheme(other.to_owned())),
        }
    }
}

/// `file://` is taken literally rather than through a URL parser, which would read the first
/// segment of `file://data/media` as a host name.
fn parse_file(rest: &str) -> Result<Target, ConfigError> {
    if let Some((_, query)) = rest.split_once('?') {
        let names: Vec<&str> = query
            .split('&')
            .map(|p| p.split('=').next().unwrap_or(p))
            .collect();
        return Err(ConfigError::UnknownParameters(names.join(", ")));
    }
    if rest.is_empty() {
        return Err(ConfigError::MissingDirectory);
    }
    Ok(Target::Local {
        root: PathBuf::from(rest),
    })
}

fn parse_s3(raw: &str, url: &url::Url) -> Result<S3Target, ConfigError> {
    let bucket = url.host_str().unwrap_or_default();
    if bucket.is_empty() {
        return Err(ConfigError::MissingBucket);
    }
    check_bucket(bucket)?;
    let mut params = query_params(url)?;
    let region = params.remove("region").filter(|r| !r.is_empty());
    let endpoint = params
        .remove("endpoint")
        .map(|e| parse_endpoint(&e))
        .transpose()?;
    if !params.is_empty() {
        let names: Vec<String> = params.into_keys().collect();
        return Err(ConfigError::UnknownParameters(names.join(", ")));
    }
    Ok(S3Target {
        bucket: bucket.to_owned(),
        prefix: parse_prefix(raw_path(raw))?,
        region,
        endpoint,
    })
}

fn query_params(url: &url::Url) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut params = BTreeMap::new();
    for (name, value) in url.query_pairs() {
        if params.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(ConfigError::RepeatedParameter(name.into_owned()));
        }
    }
    Ok(params)
}

fn check_bucket(bucket: &str) -> Result<(), ConfigError> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bucket.chars().all(allowed)
        && edge(bucket.chars().next())
        && edge(bucket.chars().last());
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadBucket(bucket.to_owned()))
    }
}

/// The path as written: the URL parser would resolve `a/../b` to `b`, and a prefix that
/// silently differs from the configured one is worse than an error.
fn raw_path(raw: &str) -> &str {
    let after_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let before_query = after_scheme.split(['?', '#']).next().unwrap_or_default();
    before_query.split_once('/').map_or("", |(_, path)| path)
}

fn parse_prefix(path: &str) -> Result<Option<String>, ConfigError> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    let key = Key::parse(trimmed).map_err(ConfigError::BadPrefix)?;
    Ok(Some(key.as_str().to_owned()))
}

fn parse_endpoint(endpoint: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(endpoint).map_err(|_| ConfigError::BadEndpoint)?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    if web {
        Ok(url)
    } else {
        Err(ConfigError::BadEndpoint)
    }
}

// Only the S3 backend reads these; a build without it still parses s3:// URLs to name them.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
/// The CDN base without its trailing '/', so `{base}/{key}` has exactly one.
pub(crate) fn parse_media_base(base: Option<&str>) -> Result<Option<String>, ConfigError> {
    let Some(base) = base.map(str::trim).filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let url = url::Url::parse(base).map_err(|_| ConfigError::BadMediaBaseUrl)?;
    let web = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    if !web || url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::BadMediaBaseUrl);
    }
    Ok(Some(base.trim_end_matches('/').to_owned()))
}

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub(crate) fn check_presign_expiry(expiry: Duration) -> Result<Duration, ConfigError> {
    if expiry < Duration::from_secs(1) || expiry > MAX_PRESIGN_EXPIRY {
        return Err(ConfigError::BadPresignExpiry(expiry.as_secs()));
    }
    Ok(expiry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(url: &str) -> S3Target {
        match Target::parse(url) {
            Ok(Target::S3(target)) => target,
            other => panic!("{url} should be an S3 target, got {other:?}"),
        }
    }

    fn error(url: &str) -> ConfigError {
        match Target::parse(url) {
            Err(err) => err,
            Ok(target) => panic!("{url} should be refused, got {target:?}"),
        }
    }

    #[test]
    fn file_urls_keep_relative_and_absolute_paths() {
        assert_eq!(
            Target::parse("file://data/media").ok(),
            Some(Target::Local {
                root: PathBuf::from("data/media")
            })
        );
        assert_eq!(
            Target::parse("file:///var/lib/folio/media").ok(),
            Some(Target::Local {
                root: PathBuf::from("/var/lib/folio/media")
            })
        );
        assert!(matches!(error("file://"), ConfigError::MissingDirectory));
        assert!(matches!(error("file://data?x=1"), ConfigError::UnknownParameters(p) if p == "x"));
    }

    #[test]
    fn s3_url_with_everything() {
        let target = s3("s3://folio-media/site/media/?region=eu-central-1&endpoint=http://127.0.0.1:9000");
        assert_eq!(target.bucket, "folio-media");
        assert_eq!(target.prefix.as_deref(), Some("site/media"));
        assert_eq!(target.region.as_deref(), Some("eu-central-1"));
        assert_eq!(
            target.endpoint.map(String::from).as_deref(),
            Some("http://127.0.0.1:9000/")
        );
    }

    #[test]
    fn s3_url_with_only_a_bucket() {
        let target = s3("s3://folio-media");
        assert_eq!(target.prefix, None);
        assert_eq!(target.region, None);
        assert_eq!(target.endpoint, None);
        assert_eq!(s3("s3://folio-media/").prefix, None);
    }

    #[test]
    fn s3_url_without_a_bucket_is_refused() {
        for url in ["s3://", "s3:///prefix", "s3:bucket"] {
            assert!(matches!(error(url), ConfigError::MissingBucket), "{url}");
        }
    }

    #[test]
    fn bad_bucket_names_are_refused() {
        for url in ["s3://ab", "s3://-bucket", "s3://bucket-", "s3://bu_cket"] {
            assert!(matches!(error(url), ConfigError::BadBucket(_)), "{url}");
        }
        let long = format!("s3://{}", "a".repeat(64));
        assert!(matches!(error(&long), ConfigError::BadBucket(_)));
    }

    #[test]
    fn unknown_parameters_are_named() {
        let err = error("s3://bucket/p?region=x&acl=public&secret=abc");
        let message = err.to_string();
        assert!(message.contains("acl, secret"), "{message}");
        assert!(!message.contains("abc"), "values are not echoed: {message}");
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let err = error("s3://bucket?region=a&region=b");
        assert!(matches!(err, ConfigError::RepeatedParameter(p) if p == "region"));
    }

    #[test]
    fn bad_prefixes_and_endpoints_are_refused() {
        assert!(matches!(error("s3://bucket/a/../b"), ConfigError::BadPrefix(_)));
        assert!(matches!(error("s3://bucket/a%20b"), ConfigError::BadPrefix(_)));
        assert!(matches!(
            error("s3://bucket?endpoint=ftp://x"),
            ConfigError::BadEndpoint
        ));
        assert!(matches!(
            error("s3://bucket?endpoint=nonsense"),
            ConfigError::BadEndpoint
        ));
    }

    #[test]
    fn unknown_schemes_are_named() {
        let err = error("gs://bucket/media");
        assert!(matches!(&err, ConfigError::UnknownScheme(s) if s == "gs"));
        assert!(err.to_string().contains("\"gs\""));
        assert!(matches!(error("data/media"), ConfigError::NotAUrl(_)));
    }

    #[test]
    fn media_base_is_trimmed_and_checked() {
        let base = |b: &str| parse_media_base(Some(b)).ok().flatten();
        assert_eq!(
            base("https://cdn.example.org/media/").as_deref(),
            Some("https://cdn.example.org/media")
        );
        assert_eq!(
            base("https://cdn.example.org").as_deref(),
            Some("https://cdn.example.org")
        );
        assert!(matches!(parse_media_base(Some("")), Ok(None)));
        assert!(matches!(parse_media_base(None), Ok(None)));
        for bad in ["cdn.example.org", "ftp://x/y", "https://x/?a=b", "https://x/#f"] {
            assert!(
                matches!(parse_media_base(Some(bad)), Err(ConfigError::BadMediaBaseUrl)),
                "{bad}"
            );
        }
    }

    #[test]
    fn presign_expiry_is_bounded() {
        assert!(check_presign_expiry(Duration::from_secs(1)).is_ok());
        assert!(check_presign_expiry(MAX_PRESIGN_EXPIRY).is_ok());
        assert!(check_presign_expiry(Duration::from_millis(500)).is_err());
        assert!(check_presign_expiry(MAX_PRESIGN_EXPIRY + Duration::from_secs(1)).is_err());
    }
}
