//! ElastiCache IAM authentication (`aws` builds): a `rediss://USER@<ElastiCache endpoint>` URL
//! without a password logs in as USER with a token signed by the task role, like RDS. A token
//! is valid for 15 minutes and checked when a connection opens (ElastiCache also ends IAM
//! connections after 12 hours), so every new connection gets a fresh one: the command
//! connection through redis-rs's credentials stream, the subscription when it (re)subscribes.

use std::sync::Arc;
use std::time::Duration;

use folio_db::iam_auth::CacheTokenSigner;
use futures_util::StreamExt;
use redis::auth::{BasicAuth, StreamingCredentialsProvider};
use redis::{IntoConnectionInfo, RedisError, RedisResult};

/// How often the command connection's credentials stream yields a new token: well inside the
/// 15 minutes a token lives.
const RENEW_EVERY: Duration = Duration::from_secs(10 * 60);

/// The signer for `url` when it asks for IAM authentication (an ElastiCache endpoint, a user,
/// no password), else `None`.
pub(super) async fn signer_for(url: &str) -> anyhow::Result<Option<Arc<CacheTokenSigner>>> {
    let parsed = url::Url::parse(url).map_err(|err| anyhow::anyhow!("FOLIO_CACHE_URL: {err}"))?;
    let host = parsed.host_str().unwrap_or_default();
    if parsed.password().is_some() || parsed.username().is_empty() || !host.ends_with(".cache.amazonaws.com")
    {
        return Ok(None);
    }
    let signer = CacheTokenSigner::for_cache(parsed.username(), host)
        .await
        .map_err(|why| anyhow::anyhow!("FOLIO_CACHE_URL: IAM authentication: {why}"))?;
    Ok(Some(Arc::new(signer)))
}

/// Fresh tokens for the command connection, as redis-rs's credentials stream.
pub(super) struct IamCredentials(pub(super) Arc<CacheTokenSigner>);

impl StreamingCredentialsProvider for IamCredentials {
    fn subscribe(
        &self,
    ) -> std::pin::Pin<Box<dyn futures_util::Stream<Item = RedisResult<BasicAuth>> + Send + 'static>> {
        let signer = self.0.clone();
        futures_util::stream::unfold((signer, true), |(signer, at_once)| async move {
            if !at_once {
                tokio::time::sleep(RENEW_EVERY).await;
            }
            let auth = token_auth(&signer).await;
            Some((auth, (signer, false)))
        })
        .boxed()
    }
}

async fn token_auth(signer: &CacheTokenSigner) -> RedisResult<BasicAuth> {
    let token = signer
        .token()
        .await
        .map_err(|why| RedisError::from((redis::ErrorKind::AuthenticationFailed, "IAM token", why)))?;
    Ok(BasicAuth::new(signer.user().to_owned(), token))
}

/// A client for `url` that logs in with a token signed now (for the subscription, which opens
/// its connection itself).
pub(super) async fn client_with_token(url: &str, signer: &CacheTokenSigner) -> RedisResult<redis::Client> {
    let auth = token_auth(signer).await?;
    let info = url.into_connection_info()?;
    let settings = info
        .redis_settings()
        .clone()
        .set_username(auth.username())
        .set_password(auth.password());
    redis::Client::open(info.set_redis_settings(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_an_elasticache_user_without_a_password_uses_iam() {
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://:secret@master.folio.abc.euc1.cache.amazonaws.com:6379",
            "rediss://app:secret@master.folio.abc.euc1.cache.amazonaws.com:6379",
            "rediss://app@redis.internal:6379",
        ] {
            assert!(signer_for(url).await.unwrap().is_none(), "{url}");
        }
    }
}
