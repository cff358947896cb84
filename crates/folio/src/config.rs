//! Turns the raw settings into typed configuration, failing with one line that names the
//! variable at fault.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use folio_db::{Backend, DatabaseAuth};
use folio_web::cluster::CacheUrl;
use folio_web::config::redact_url;
use folio_web::connections::ConnectionLimits;
use folio_web::domain::{Email, NewPassword};
use folio_web::{AppConfig, SecretKey, WorkerMode};

use crate::cli::{Cli, Settings};

/// Where the generated secret key is kept when `FOLIO_SECRET_KEY` is unset.
const SECRET_KEY_FILE: &str = "data/secret.key";

#[derive(Debug)]
pub struct LogConfig {
    pub filter: String,
    pub json: bool,
}

#[derive(Debug)]
pub struct Config {
    pub app: AppConfig,
    pub log: LogConfig,
    /// `FOLIO_ADMIN_EMAIL` + `FOLIO_ADMIN_PASSWORD`: a staff user to create at start.
    pub bootstrap_admin: Option<(Email, NewPassword)>,
}

fn invalid(variable: &str, value: &str, why: impl std::fmt::Display) -> String {
    format!("{variable}: invalid value {value:?}: {why}")
}

fn number<T>(variable: &str, value: &str, min: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let parsed: T = value
        .trim()
        .parse()
        .map_err(|err| invalid(variable, value, err))?;
    if parsed < min {
        return Err(invalid(variable, value, format!("must be at least {min}")));
    }
    Ok(parsed)
}

/// `FOLIO_MAX_CONNECTIONS`: at least 1, at most a million (each is a file descriptor).
fn max_connections(value: &str) -> Result<usize, String> {
    const MOST: usize = 1_000_000;
    let max = number("FOLIO_MAX_CONNECTIONS", value, 1)?;
    if max > MOST {
        return Err(invalid(
            "FOLIO_MAX_CONNECTIONS",
            value,
            format!("must be at most {MOST}"),
        ));
    }
    Ok(max)
}

/// A short name of letters, digits, `-` and `_`: it starts every Redis key.
fn cache_prefix(value: &str) -> Result<String, String> {
    let value = value.trim();
    let fits = (1..=32).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !fits {
        return Err(invalid(
            "FOLIO_CACHE_PREFIX",
            value,
            "use 1 to 32 letters, digits, '-' or '_'",
        ));
    }
    Ok(value.to_owned())
}

fn boolean(variable: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(variable, value, "expected true or false")),
    }
}

fn base_url(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| invalid("FOLIO_BASE_URL", value, "must start with http:// or https://"))?;
    if rest.trim_end_matches('/').is_empty() || rest.contains(char::is_whitespace) {
        return Err(invalid("FOLIO_BASE_URL", value, "must name a host"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// The SQLite file of a `sqlite://` URL, when it is a file (not `:memory:`).
fn sqlite_file(url: &str) -> Option<&str> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    (!path.is_empty() && !path.starts_with(":memory:")).then_some(path)
}

fn database_url(value: &str) -> Result<(String, Backend), String> {
    let backend = Backend::from_url(value).ok_or_else(|| {
        invalid(
            "FOLIO_DATABASE_URL",
            &redact_url(value),
            "use sqlite://, postgres:// or mysql://",
        )
    })?;
    if backend != Backend::Sqlite {
        server_url(value)?;
    }
    if let Some(file) = sqlite_file(value)
        && let Some(parent) = Path::new(file).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            invalid(
                "FOLIO_DATABASE_URL",
                value,
                format!("cannot create {}: {err}", parent.display()),
            )
        })?;
    }
    Ok((value.to_owned(), backend))
}

/// A PostgreSQL or MySQL URL names a host and, if any, a valid port: caught here rather than
/// at the first connection.
fn server_url(value: &str) -> Result<(), String> {
    let fail = |why: &str| invalid("FOLIO_DATABASE_URL", &redact_url(value), why);
    let url = url::Url::parse(value).map_err(|err| fail(&err.to_string()))?;
    // A Unix socket is named by `?host=/run/postgresql` (or `socket=` for MySQL) instead.
    let socket = url
        .query_pairs()
        .any(|(name, _)| name == "host" || name == "socket");
    if url.host_str().is_none_or(str::is_empty) && !socket {
        return Err(fail("name the database server's host"));
    }
    Ok(())
}

/// FOLIO_DATABASE_AUTH and FOLIO_DATABASE_PASSWORD, checked against the URL they apply to.
fn database_auth(
    mode: &str,
    password: Option<&str>,
    url: &str,
    backend: Backend,
) -> Result<DatabaseAuth, String> {
    let auth = match (mode, password) {
        ("url", None) => DatabaseAuth::Url,
        ("url", Some("")) => {
            return Err("FOLIO_DATABASE_PASSWORD: empty; unset it to use the URL's own credentials".into());
        }
        ("url", Some(password)) => DatabaseAuth::Password(password.to_owned()),
        ("iam", None) => DatabaseAuth::AwsIam,
        ("iam", Some(_)) => {
            return Err("FOLIO_DATABASE_PASSWORD: not used with FOLIO_DATABASE_AUTH=iam (tokens replace the password); unset one of them".into());
        }
        (other, _) => return Err(invalid("FOLIO_DATABASE_AUTH", other, "use url or iam")),
    };
    if auth != DatabaseAuth::Url && backend == Backend::Sqlite {
        return Err(
            "FOLIO_DATABASE_PASSWORD and FOLIO_DATABASE_AUTH=iam apply to PostgreSQL and MySQL, not SQLite"
                .into(),
        );
    }
    if auth == DatabaseAuth::AwsIam && url::Url::parse(url).is_ok_and(|u| u.password().is_some()) {
        return Err(invalid(
            "FOLIO_DATABASE_URL",
            &redact_url(url),
            "carries a password, but FOLIO_DATABASE_AUTH=iam signs a token instead: remove it",
        ));
    }
    Ok(auth)
}

fn secret_key(value: Option<&str>) -> Result<SecretKey, String> {
    if let Some(value) = value {
        return SecretKey::new(value.as_bytes().to_vec()).ok_or_else(|| {
            format!(
                "FOLIO_SECRET_KEY: too short: it must be at least {} bytes",
                SecretKey::MIN_LEN
            )
        });
    }
    load_or_create_secret(Path::new(SECRET_KEY_FILE))
}

/// The embedded default: a random key generated on first start and kept (mode 0600) so that
/// cookies stay valid across restarts.
fn load_or_create_secret(path: &Path) -> Result<SecretKey, String> {
    let context = |err: std::io::Error| format!("FOLIO_SECRET_KEY unset and {}: {err}", path.display());
    if let Ok(existing) = std::fs::read_to_string(path) {
        return SecretKey::new(existing.trim().as_bytes().to_vec()).ok_or_else(|| {
            format!(
                "FOLIO_SECRET_KEY unset and {} is too short: delete it",
                path.display()
            )
        });
    }
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes).map_err(|err| format!("FOLIO_SECRET_KEY: no random source: {err}"))?;
    let key = hex::encode(bytes);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(context)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(context)?;
    file.write_all(key.as_bytes()).map_err(context)?;
    SecretKey::new(key.into_bytes()).ok_or_else(|| "generated key too short".to_owned())
}

fn email_url(value: &str) -> Result<String, String> {
    match value.split_once("://") {
        Some(("file" | "smtp" | "smtps" | "ses", rest)) if !rest.is_empty() => Ok(value.to_owned()),
        _ => Err(invalid(
            "FOLIO_EMAIL_URL",
            &redact_url(value),
            "use file://DIR, smtp://host[:port], smtps://… or ses://REGION",
        )),
    }
}

/// An absolute http(s) URL; unset or empty means none.
fn media_base_url(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let absolute = ["https://", "http://"]
        .iter()
        .any(|scheme| value.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty()));
    let clean = !value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '?' | '#'));
    if absolute && clean {
        Ok(Some(value.trim_end_matches('/').to_owned()))
    } else {
        Err(invalid(
            "FOLIO_MEDIA_BASE_URL",
            value,
            "use an http(s) URL such as https://cdn.example.org/media, without query or fragment",
        ))
    }
}

fn log_config(settings: &Settings) -> Result<LogConfig, String> {
    let json = match settings.log_format.trim() {
        "json" => true,
        "pretty" => false,
        "auto" | "" => !std::io::IsTerminal::is_terminal(&std::io::stdout()),
        other => return Err(invalid("FOLIO_LOG_FORMAT", other, "use pretty, json or auto")),
    };
    tracing_subscriber::EnvFilter::try_new(&settings.log)
        .map_err(|err| invalid("FOLIO_LOG", &settings.log, err))?;
    Ok(LogConfig {
        filter: settings.log.clone(),
        json,
    })
}

impl Config {
    pub fn from_cli(cli: &Cli) -> Result<Self, String> {
        let s = &cli.settings;
        let listen: SocketAddr = s
            .listen
            .trim()
            .parse()
            .map_err(|err| invalid("FOLIO_LISTEN", &s.listen, err))?;
        let (database_url, backend) = database_url(s.database_url.trim())?;
        let database_auth = database_auth(
            s.database_auth.trim(),
            s.database_password.as_deref(),
            &database_url,
            backend,
        )?;
        let log = log_config(s)?;
        let app = AppConfig {
            listen,
            base_url: base_url(s.base_url.trim())?,
            database_url,
            database_auth,
            database_max_connections: number(
                "FOLIO_DATABASE_MAX_CONNECTIONS",
                &s.database_max_connections,
                1,
            )?,
            secret_key: secret_key(s.secret_key.as_deref())?,
            email_url: email_url(s.email_url.trim())?,
            email_from: s.email_from.clone(),
            storage_url: s.storage_url.trim().to_owned(),
            media_base_url: media_base_url(s.media_base_url.as_deref())?,
            privacy_mode: boolean("FOLIO_PRIVACY_MODE", &s.privacy_mode)?,
            // The embedded database migrates itself; a shared one is migrated by `folio migrate`
            // as a deploy step, so two releases never race to change it.
            auto_migrate: backend == Backend::Sqlite,
            request_timeout: Duration::from_secs(number(
                "FOLIO_REQUEST_TIMEOUT_SECS",
                &s.request_timeout_secs,
                1,
            )?),
            connections: ConnectionLimits {
                idle_timeout: Duration::from_secs(number(
                    "FOLIO_IDLE_TIMEOUT_SECS",
                    &s.idle_timeout_secs,
                    1,
                )?),
                header_read_timeout: Duration::from_secs(number(
                    "FOLIO_HEADER_READ_TIMEOUT_SECS",
                    &s.header_read_timeout_secs,
                    1,
                )?),
                max_connections: max_connections(&s.max_connections)?,
            },
            shutdown_grace: Duration::from_secs(number(
                "FOLIO_SHUTDOWN_GRACE_SECS",
                &s.shutdown_grace_secs,
                0,
            )?),
            drain: Duration::from_secs(number("FOLIO_DRAIN_SECS", &s.drain_secs, 0)?),
            worker: worker_mode(&s.worker)?,
            worker_concurrency: number("FOLIO_WORKER_CONCURRENCY", &s.worker_concurrency, 1)?,
            email_rate: Some(number::<u32>("FOLIO_EMAIL_RATE", &s.email_rate, 0)?).filter(|rate| *rate > 0),
            trusted_proxy_hops: number("FOLIO_TRUSTED_PROXY_HOPS", &s.trusted_proxy_hops, 0)?,
            ses_topic_arns: ses_topic_arns(s.ses_topic_arn.as_deref())?,
            sns_cert_host: sns_cert_host(s.sns_cert_host.as_deref())?,
            site: folio_jobs::SiteInfo::parse(&s.site_name, &s.site_description)?,
            cache_url: CacheUrl::parse(&s.cache_url)
                .map_err(|why| invalid("FOLIO_CACHE_URL", &redact_url(&s.cache_url), why))?,
            cache_prefix: cache_prefix(&s.cache_prefix)?,
            rate_limits: folio_web::security::rate_limit::RateLimits::default()
                .with_api_per_minute(number("FOLIO_API_RATE_LIMIT", &s.api_rate_limit, 1)?)
                .with_writes_per_minute(number("FOLIO_WRITE_RATE_LIMIT", &s.write_rate_limit, 1)?),
            quotas: folio_web::security::quotas::Quotas {
                notes: number("FOLIO_QUOTA_NOTES", &s.quota_notes, 1)?,
                pads: number("FOLIO_QUOTA_PADS", &s.quota_pads, 1)?,
                text_bytes: number::<u64>("FOLIO_QUOTA_TEXT_MB", &s.quota_text_mb, 1)?
                    .checked_mul(1024 * 1024)
                    .ok_or_else(|| invalid("FOLIO_QUOTA_TEXT_MB", &s.quota_text_mb, "too large"))?,
                sessions: number("FOLIO_QUOTA_SESSIONS", &s.quota_sessions, 1)?,
            },
            metrics_listen: metrics_listen(s.metrics_listen.as_deref(), listen)?,
            web_dist: s.web_dist.trim().into(),
        };
        let bootstrap_admin = bootstrap_admin(s.admin_email.as_deref(), s.admin_password.as_deref())?;
        // Checked without building anything: the mailer, storage and pool are built once, inside
        // the runtime, by the command that needs them.
        folio_jobs::mailer::MailTarget::parse(&app.email_url, &app.email_from)
            .map_err(|err| format!("FOLIO_EMAIL_URL / FOLIO_EMAIL_FROM: {err}"))?;
        app.storage_settings()
            .validate()
            .map_err(|err| format!("FOLIO_STORAGE_URL: {err}"))?;
        Ok(Self {
            app,
            log,
            bootstrap_admin,
        })
    }
}

/// `arn:<partition>:sns:<region>:<account>:<topic>`, comma-separated; unset or empty: none.
fn ses_topic_arns(value: Option<&str>) -> Result<Vec<String>, String> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .map(|arn| {
            if is_sns_topic_arn(arn) {
                Ok(arn.to_owned())
            } else {
                Err(invalid(
                    "FOLIO_SES_TOPIC_ARN",
                    arn,
                    "use arn:aws:sns:<region>:<account id>:<topic name>",
                ))
            }
        })
        .collect()
}

fn is_sns_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let word = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let topic = |part: &str| {
        (1..=256).contains(&part.len())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws") && word(partition) && word(region)
            && account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) && topic(name))
}

/// A host name or address with an optional port, nothing else.
fn sns_cert_host(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok && !value.starts_with([':', '.']) {
        Ok(Some(value.to_ascii_lowercase()))
    } else {
        Err(invalid(
            "FOLIO_SNS_CERT_HOST",
            value,
            "a host name, with an optional :port, e.g. sns.eu-central-1.amazonaws.com",
        ))
    }
}

/// `FOLIO_METRICS_LISTEN`: an address and port, apart from the public `FOLIO_LISTEN` (the
/// figures are for the platform, not for visitors). Unset or empty: no metrics.
fn metrics_listen(value: Option<&str>, public: SocketAddr) -> Result<Option<SocketAddr>, String> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let addr: SocketAddr = value.parse().map_err(|err| {
        invalid(
            "FOLIO_METRICS_LISTEN",
            value,
            format!("{err}; use e.g. 0.0.0.0:9464"),
        )
    })?;
    if addr.port() == public.port() && addr.port() != 0 {
        return Err(invalid(
            "FOLIO_METRICS_LISTEN",
            value,
            "must not be the public port of FOLIO_LISTEN",
        ));
    }
    Ok(Some(addr))
}

fn worker_mode(value: &str) -> Result<WorkerMode, String> {
    match value.trim() {
        "embedded" => Ok(WorkerMode::Embedded),
        "off" => Ok(WorkerMode::Off),
        other => Err(invalid("FOLIO_WORKER", other, "use embedded or off")),
    }
}

/// `FOLIO_ADMIN_EMAIL` + `FOLIO_ADMIN_PASSWORD`: both or neither, and a password that passes
/// the same rules as any other (there is no default).
fn bootstrap_admin(
    email: Option<&str>,
    password: Option<&str>,
) -> Result<Option<(Email, NewPassword)>, String> {
    let email = email.map(str::trim).filter(|email| !email.is_empty());
    let password = password.filter(|password| !password.is_empty());
    match (email, password) {
        (None, None) => Ok(None),
        (Some(_), None) => Err("FOLIO_ADMIN_PASSWORD: must be set with FOLIO_ADMIN_EMAIL".into()),
        (None, Some(_)) => Err("FOLIO_ADMIN_EMAIL: must be set with FOLIO_ADMIN_PASSWORD".into()),
        (Some(email), Some(password)) => Ok(Some((
            Email::parse(email).map_err(|why| invalid("FOLIO_ADMIN_EMAIL", email, why))?,
            NewPassword::parse(password).map_err(|why| format!("FOLIO_ADMIN_PASSWORD: {why}"))?,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_values_with_the_variable_name() {
        assert!(base_url("ftp://x").unwrap_err().starts_with("FOLIO_BASE_URL"));
        assert_eq!(base_url("https://example.org/").unwrap(), "https://example.org");
        assert!(
            boolean("FOLIO_PRIVACY_MODE", "maybe")
                .unwrap_err()
                .starts_with("FOLIO_PRIVACY_MODE")
        );
        assert!(
            number::<u64>("FOLIO_X", "abc", 1)
                .unwrap_err()
                .starts_with("FOLIO_X")
        );
        assert!(number::<u64>("FOLIO_X", "0", 1).is_err());
        assert!(email_url("http://x").unwrap_err().starts_with("FOLIO_EMAIL_URL"));
        assert!(
            database_url("oracle://x")
                .unwrap_err()
                .starts_with("FOLIO_DATABASE_URL")
        );
        for bad in [
            "postgres://127.0.0.1:notaport/x",
            "postgres:///x",
            "mysql://u:p@:3306/x",
        ] {
            assert!(
                database_url(bad).unwrap_err().starts_with("FOLIO_DATABASE_URL"),
                "{bad}"
            );
        }
        assert!(database_url("postgres://folio:secret@db.internal:5432/folio?sslmode=require").is_ok());
        assert!(database_url("postgres:///folio?host=/run/postgresql").is_ok());
        assert!(
            !database_url("postgres://folio:secret@db:bad/folio")
                .unwrap_err()
                .contains("secret")
        );
        assert!(worker_mode("sometimes").unwrap_err().starts_with("FOLIO_WORKER"));
        assert_eq!(
            ses_topic_arns(Some(
                "arn:aws:sns:eu-central-1:123456789012:folio-ses, arn:aws-cn:sns:cn-north-1:123456789012:b_2"
            ))
            .unwrap()
            .len(),
            2
        );
        assert!(ses_topic_arns(None).unwrap().is_empty());
        for bad in [
            "topic",
            "arn:aws:sqs:eu-central-1:123456789012:q",
            "arn:aws:sns:eu-central-1:12345:t",
            "arn:aws:sns:eu-central-1:123456789012:",
        ] {
            assert!(
                ses_topic_arns(Some(bad))
                    .unwrap_err()
                    .starts_with("FOLIO_SES_TOPIC_ARN"),
                "{bad}"
            );
        }
        assert_eq!(
            sns_cert_host(Some("127.0.0.1:8080")).unwrap().as_deref(),
            Some("127.0.0.1:8080")
        );
        assert!(
            sns_cert_host(Some("evil.example/x"))
                .unwrap_err()
                .starts_with("FOLIO_SNS_CERT_HOST")
        );
        assert!(
            bootstrap_admin(Some("admin@example.org"), None)
                .unwrap_err()
                .starts_with("FOLIO_ADMIN_PASSWORD")
        );
        assert!(
            bootstrap_admin(Some("admin@example.org"), Some("short"))
                .unwrap_err()
                .starts_with("FOLIO_ADMIN_PASSWORD")
        );
        assert!(
            bootstrap_admin(Some("nobody"), Some("long enough secret"))
                .unwrap_err()
                .starts_with("FOLIO_ADMIN_EMAIL")
        );
        assert!(bootstrap_admin(None, None).unwrap().is_none());
        assert!(
            secret_key(Some("short"))
                .unwrap_err()
                .starts_with("FOLIO_SECRET_KEY")
        );
    }

    #[test]
    fn metrics_listen_is_a_separate_address() {
        let public: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        assert_eq!(metrics_listen(None, public).unwrap(), None);
        assert_eq!(metrics_listen(Some("  "), public).unwrap(), None);
        assert_eq!(
            metrics_listen(Some("0.0.0.0:9464"), public).unwrap(),
            Some("0.0.0.0:9464".parse().unwrap())
        );
        assert_eq!(
            metrics_listen(Some("[::1]:9464"), public).unwrap(),
            Some("[::1]:9464".parse().unwrap())
        );
        for bad in [
            "9464",
            "localhost:9464",
            "0.0.0.0",
            "0.0.0.0:99999",
            "0.0.0.0:8000",
        ] {
            let err = metrics_listen(Some(bad), public).unwrap_err();
            assert!(err.starts_with("FOLIO_METRICS_LISTEN"), "{bad}: {err}");
            assert!(!err.contains('\n'), "{bad}: {err}");
        }
    }

    #[test]
    fn generated_secret_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = load_or_create_secret(&path).unwrap();
        let second = load_or_create_secret(&path).unwrap();
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 128);
    }
}
