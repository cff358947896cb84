//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool instead of
//! stalling the async workers that serve everyone else, and at most [`MAX_CONCURRENT_HASHES`]
//! run at once: each takes 19 MiB, so a burst of sign-ins queues instead of growing memory.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// How many hashes may be computed at the same time.
pub const MAX_CONCURRENT_HASHES: usize = 2;

static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// A hash of a random password, verified against when the email is unknown, so a sign-in for a
/// missing account takes as long as one for an existing account.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| hash_blocking("folio-timing-equaliser").ok());

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default().hash_password(password.as_bytes())?.to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await?;
    let hashed = tokio::task::spawn_blocking(move || hash_blocking(&password)).await?;
    hashed.map_err(|err| anyhow::anyhow!("argon2 hashing failed: {err}"))
}

/// True when `password` matches `hash`. With `hash` of `None` (unknown user) it still spends
/// the time of one verification and returns false.
pub async fn verify(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    let _permit = HASHING.acquire().await?;
    let matched = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await?;
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hashed = hash("correct horse".into()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$"), "{hashed}");
        assert!(
            verify("correct horse".into(), Some(hashed.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(hashed)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(
            !verify("anything".into(), Some("not a phc string".into()))
                .await
                .unwrap()
        );
    }
}
