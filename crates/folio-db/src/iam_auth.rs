//! AWS IAM database authentication (RDS PostgreSQL and MySQL): the "password" is a SigV4
//! presigned `connect` request for the URL's user, host and port, signed with the AWS
//! credentials of the process (the ECS task role). A token is valid for 15 minutes and is only
//! checked when a connection opens, so the pool's connect options get a fresh one every
//! [`RENEW_EVERY`]; connections already open are not affected.

use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::connect::{replace_password, set_password};

/// How long a token is valid (the most RDS accepts).
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How often the pool gets a new token: well inside the lifetime, so a connection opened just
/// before a renewal still presents a valid one.
pub const RENEW_EVERY: Duration = Duration::from_secs(10 * 60);
/// The wait before trying again when the credentials could not be fetched.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Signs connection tokens for one database user.
#[derive(Clone)]
pub struct TokenSigner {
    credentials: SharedCredentialsProvider,
    endpoint: Endpoint,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TokenSigner({}@{}:{} in {})",
            self.endpoint.user, self.endpoint.host, self.endpoint.port, self.endpoint.region
        )
    }
}

/// Who connects where: what a token is signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
}

impl Endpoint {
    /// Reads user, host and port from a `postgres://` or `mysql://` URL. The region is the one
    /// in an RDS host name (`name.id.eu-central-1.rds.amazonaws.com`), else `fallback_region`.
    pub fn from_url(url: &str, fallback_region: Option<&str>) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|err| format!("not a URL: {err}"))?;
        let default_port = match parsed.scheme() {
            "postgres" | "postgresql" => 5432,
            "mysql" | "mariadb" => 3306,
            other => {
                return Err(format!(
                    "IAM authentication works with postgres:// and mysql://, not {other}://"
                ));
            }
        };
        if parsed.password().is_some() {
            return Err("with IAM authentication the URL must not carry a password".into());
        }
        // Percent-decoding only: a `+` in a user name is a plus, not a space.
        let user = percent_encoding::percent_decode_str(parsed.username())
            .decode_utf8_lossy()
            .into_owned();
        if user.is_empty() {
            return Err("name the database user in the URL (postgres://USER@host/db)".into());
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("name the database host in the URL")?;
        let region = rds_region(host)
            .or(fallback_region)
            .ok_or("no AWS region: the host is not an RDS endpoint and AWS_REGION is unset")?;
        Ok(Self {
            host: host.to_owned(),
            port: parsed.port().unwrap_or(default_port),
            user,
            region: region.to_owned(),
        })
    }
}

/// The region label of an RDS endpoint: the one before `rds.amazonaws.com` (or `.com.cn`).
fn rds_region(host: &str) -> Option<&str> {
    let labels: Vec<&str> = host.split('.').collect();
    let rds = labels
        .windows(2)
        .position(|pair| pair[0] == "rds" && pair[1] == "amazonaws")?;
    (rds >= 2).then(|| labels[rds - 1])
}

impl TokenSigner {
    /// Loads the AWS credential chain (environment, ECS task role, web identity, instance
    /// profile). Nothing is contacted until the first token.
    pub async fn for_url(url: &str) -> Result<Self, String> {
        let config = aws_defaults().await;
        let endpoint = Endpoint::from_url(url, config.region().map(|r| r.as_ref()))?;
        let credentials = config
            .credentials_provider()
            .ok_or("no AWS credentials provider is configured")?;
        Ok(Self {
            credentials,
            endpoint,
        })
    }

    /// A token valid for the next 15 minutes.
    pub async fn token(&self) -> Result<String, String> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|err| format!("AWS credentials: {err}"))?;
        sign_token(&self.endpoint, &credentials, SystemTime::now())
    }
}

/// The token: `host:port/?Action=connect&DBUser=…&X-Amz-…`, a presigned GET whose signature
/// covers the host header, for the `rds-db` service.
pub fn sign_token(endpoint: &Endpoint, credentials: &Credentials, now: SystemTime) -> Result<String, String> {
    let Endpoint {
        host,
        port,
        user,
        region,
    } = endpoint;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", "connect").append_pair("DBUser", user);
    let unsigned = format!("{host}:{port}/?{}", query.finish());
    presign(&unsigned, "rds-db", region, credentials, now)
}

/// Presigns `GET https://<unsigned>` for `service` (query-string signature, valid for
/// [`TOKEN_LIFETIME`]) and returns it without the scheme: what RDS and ElastiCache take as a
/// password.
fn presign(
    unsigned: &str,
    service: &str,
    region: &str,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<String, String> {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(settings)
        .build()
        .map_err(|err| format!("signing parameters: {err}"))?
        .into();
    let https = format!("https://{unsigned}");
    let request = SignableRequest::new("GET", &https, std::iter::empty(), SignableBody::empty())
        .map_err(|err| format!("token request: {err}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|err| format!("signing the token: {err}"))?
        .into_parts();
    let mut signed = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in instructions.params() {
        signed.append_pair(name, value);
    }
    Ok(format!("{unsigned}&{}", signed.finish()))
}

/// Who connects to which ElastiCache replication group: what an ElastiCache IAM token is
/// signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheEndpoint {
    /// The replication group id (ElastiCache calls it the cache name).
    pub cache_name: String,
    /// The IAM-enabled user (its id and name are the same).
    pub user: String,
    pub region: String,
}

impl CacheEndpoint {
    /// From the user and host of a `rediss://` URL: the host is an ElastiCache endpoint
    /// (`master.<group>.<id>.<region code>.cache.amazonaws.com`, or `<group>.<id>…` for a
    /// configuration endpoint); the region is the process's (`AWS_REGION`), since endpoints
    /// carry only a short code.
    pub fn new(user: &str, host: &str, region: Option<&str>) -> Result<Self, String> {
        if user.is_empty() {
            return Err("name the cache user in the URL (rediss://USER@host:6379)".into());
        }
        let labels: Vec<&str> = host.split('.').collect();
        if !host.ends_with(".cache.amazonaws.com") || labels.len() < 5 {
            return Err(format!(
                "{host} is not an ElastiCache endpoint, which IAM authentication needs"
            ));
        }
        let cache_name = match labels[0] {
            "master" | "replica" | "clustercfg" => labels[1],
            first => first,
        };
        Ok(Self {
            cache_name: cache_name.to_owned(),
            user: user.to_owned(),
            region: region.ok_or("no AWS region: AWS_REGION is unset")?.to_owned(),
        })
    }
}

/// The token ElastiCache takes as the password of an IAM-enabled user:
/// `<cache name>/?Action=connect&User=…&X-Amz-…`, presigned for the `elasticache` service.
pub fn sign_cache_token(
    cache: &CacheEndpoint,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<String, String> {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("Action", "connect")
        .append_pair("User", &cache.user);
    let unsigned = format!("{}/?{}", cache.cache_name.to_ascii_lowercase(), query.finish());
    presign(&unsigned, "elasticache", &cache.region, credentials, now)
}

/// Signs ElastiCache connection tokens with the process's AWS credentials.
#[derive(Clone)]
pub struct CacheTokenSigner {
    credentials: SharedCredentialsProvider,
    endpoint: CacheEndpoint,
}

impl std::fmt::Debug for CacheTokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CacheTokenSigner({:?})", self.endpoint)
    }
}

impl CacheTokenSigner {
    /// Loads the AWS credential chain for `user` at the ElastiCache endpoint `host`. Nothing
    /// is contacted until the first token.
    pub async fn for_cache(user: &str, host: &str) -> Result<Self, String> {
        let config = aws_defaults().await;
        let endpoint = CacheEndpoint::new(user, host, config.region().map(|r| r.as_ref()))?;
        let credentials = config
            .credentials_provider()
            .ok_or("no AWS credentials provider is configured")?;
        Ok(Self {
            credentials,
            endpoint,
        })
    }

    /// The user the tokens are for.
    pub fn user(&self) -> &str {
        &self.endpoint.user
    }

    /// A token valid for the next 15 minutes.
    pub async fn token(&self) -> Result<String, String> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|err| format!("AWS credentials: {err}"))?;
        sign_cache_token(&self.endpoint, &credentials, SystemTime::now())
    }
}

/// The AWS configuration of the process (region, credential chain), over rustls with ring.
async fn aws_defaults() -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}

/// Opens the pool with a first token and keeps renewing it while the pool is open.
pub(crate) async fn connect(mut options: ConnectOptions, url: &str) -> Result<DatabaseConnection, DbErr> {
    let iam_error = |why: String| DbErr::Custom(format!("IAM database authentication: {why}"));
    let signer = TokenSigner::for_url(url).await.map_err(iam_error)?;
    let token = signer.token().await.map_err(iam_error)?;
    set_password(&mut options, &token);
    let db = Database::connect(options).await?;
    tokio::spawn(renew_tokens(db.clone(), signer));
    Ok(db)
}

async fn renew_tokens(db: DatabaseConnection, signer: TokenSigner) {
    let mut wait = RENEW_EVERY;
    loop {
        tokio::time::sleep(wait).await;
        if is_closed(&db) {
            return;
        }
        wait = match signer.token().await {
            Ok(token) => {
                replace_password(&db, &token);
                RENEW_EVERY
            }
            Err(why) => {
                tracing::warn!(error = %why, retry_in_secs = RETRY_AFTER.as_secs(), "could not renew the database IAM token");
                RETRY_AFTER
            }
        };
    }
}

fn is_closed(db: &DatabaseConnection) -> bool {
    use sea_orm::DbBackend;
    match db.get_database_backend() {
        DbBackend::Postgres => db.get_postgres_connection_pool().is_closed(),
        DbBackend::MySql => db.get_mysql_connection_pool().is_closed(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "folio-prod.abc123xyz.eu-central-1.rds.amazonaws.com";

    fn endpoint() -> Endpoint {
        Endpoint::from_url(
            &format!("postgres://folio_app@{HOST}:5432/folio?sslmode=verify-full"),
            None,
        )
        .unwrap_or_else(|why| panic!("{why}"))
    }

    /// A token's host part and its query pairs in order, so tokens compare whatever the order
    /// of their parameters.
    fn sorted(token: &str) -> (String, Vec<(String, String)>) {
        let (prefix, query) = token
            .split_once("/?")
            .unwrap_or_else(|| panic!("no query in {token}"));
        let mut pairs: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        pairs.sort();
        (prefix.to_owned(), pairs)
    }

    /// The AWS documentation's example keys, with or without a session token.
    fn example_credentials(session_token: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            session_token.map(str::to_owned),
            None,
            "test",
        )
    }

    /// The same inputs give the same token as botocore's `generate_db_auth_token` (1.43.11,
    /// its clock fixed at 2026-11-30T01:02:03Z; the AWS documentation's example keys): the
    /// reference vectors below are its output.
    #[test]
    fn tokens_match_the_aws_reference_signer() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_523);
        let cases = [
            (
                None,
                "folio-prod.abc123xyz.eu-central-1.rds.amazonaws.com:5432/?Action=connect&DBUser=folio_app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261130%2Feu-central-1%2Frds-db%2Faws4_request&X-Amz-Date=20261130T010203Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=1f779ad6c7bb7f485277a6ae686d2f450ee1ada214b005ff0193e65bcb5e6b85",
            ),
            (
                Some("session/token+with=chars"),
                "folio-prod.abc123xyz.eu-central-1.rds.amazonaws.com:5432/?Action=connect&DBUser=folio_app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261130%2Feu-central-1%2Frds-db%2Faws4_request&X-Amz-Date=20261130T010203Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=session%2Ftoken%2Bwith%3Dchars&X-Amz-Signature=ddb740780d79a1f9eb63a1dc09023ecc92e3314d386e8d32940fb746c7175c13",
            ),
        ];
        for (session_token, reference) in cases {
            let credentials = example_credentials(session_token);
            let token = sign_token(&endpoint(), &credentials, now).unwrap_or_else(|why| panic!("{why}"));
            assert_eq!(sorted(&token).0, format!("{HOST}:5432"));
            assert_eq!(
                sorted(&token),
                sorted(reference),
                "session token {session_token:?}"
            );
        }
    }

    /// Against botocore's `RequestSigner.generate_presigned_url` for the `elasticache` service
    /// (1.43.11, clock fixed at 2026-11-30T01:02:03Z), the way AWS's ElastiCache IAM examples
    /// build the token.
    #[test]
    fn cache_tokens_match_the_aws_reference_signer() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_523);
        let cache = CacheEndpoint::new(
            "folio-prod-app",
            "master.folio-prod.abcdef.euc1.cache.amazonaws.com",
            Some("eu-central-1"),
        )
        .unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(cache.cache_name, "folio-prod");
        let cases = [
            (
                None,
                "folio-prod/?Action=connect&User=folio-prod-app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261130%2Feu-central-1%2Felasticache%2Faws4_request&X-Amz-Date=20261130T010203Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=7210a8cb8ce2e720eafd8fe535b6f5a802855ea55beac62dd6d73808f7dcb0e1",
            ),
            (
                Some("session/token+with=chars"),
                "folio-prod/?Action=connect&User=folio-prod-app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261130%2Feu-central-1%2Felasticache%2Faws4_request&X-Amz-Date=20261130T010203Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=session%2Ftoken%2Bwith%3Dchars&X-Amz-Signature=5c93d399401a8069b71028a30ef2d02f002a12b3ce66d0b83f3b28911cc5f29a",
            ),
        ];
        for (session_token, reference) in cases {
            let credentials = example_credentials(session_token);
            let token = sign_cache_token(&cache, &credentials, now).unwrap_or_else(|why| panic!("{why}"));
            assert_eq!(
                sorted(&token),
                sorted(reference),
                "session token {session_token:?}"
            );
        }
    }

    #[test]
    fn cache_endpoints_name_their_replication_group() {
        let named = |host: &str| CacheEndpoint::new("app", host, Some("eu-west-1")).map(|e| e.cache_name);
        assert_eq!(
            named("master.folio-dev.x1y2z3.euw1.cache.amazonaws.com"),
            Ok("folio-dev".into())
        );
        assert_eq!(
            named("folio-dev.x1y2z3.ng.0001.euw1.cache.amazonaws.com"),
            Ok("folio-dev".into())
        );
        assert!(named("redis.internal").is_err());
        assert!(CacheEndpoint::new("", "master.a.b.euw1.cache.amazonaws.com", Some("eu-west-1")).is_err());
        assert!(CacheEndpoint::new("app", "master.a.b.euw1.cache.amazonaws.com", None).is_err());
    }

    #[test]
    fn the_endpoint_comes_from_the_url_and_the_rds_host_name() {
        assert_eq!(
            endpoint(),
            Endpoint {
                host: HOST.into(),
                port: 5432,
                user: "folio_app".into(),
                region: "eu-central-1".into()
            }
        );
        let mysql = Endpoint::from_url("mysql://app%2Bro@db.internal/folio", Some("eu-west-1"))
            .unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(
            (mysql.port, mysql.user.as_str(), mysql.region.as_str()),
            (3306, "app+ro", "eu-west-1")
        );
    }

    #[test]
    fn urls_that_cannot_use_iam_are_refused_with_the_reason() {
        let refused = [
            (
                "postgres://folio_app:secret@db.eu-central-1.rds.amazonaws.com/folio",
                "must not carry a password",
            ),
            (
                "postgres://db.x.eu-central-1.rds.amazonaws.com/folio",
                "name the database user",
            ),
            ("postgres://folio_app@db.internal/folio", "no AWS region"),
            ("sqlite://data/folio.db", "not sqlite"),
        ];
        for (url, why) in refused {
            let err = Endpoint::from_url(url, None)
                .err()
                .unwrap_or_else(|| panic!("{url} accepted"));
            assert!(err.contains(why), "{url}: {err}");
        }
    }
}
