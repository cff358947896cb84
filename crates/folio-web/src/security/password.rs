//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).
//! Hashing is CPU-bound for tens of milliseconds, so it runs on the blocking pool instead of
//! stalling the async workers that serve everyone else, and at most [`MAX_CONCURRENT_HASHES`]
//! run at once: each takes 19 MiB, so a burst of sign-ins queues instead of growing memory.
//!
//! The queue is short: at most [`MAX_WAITING_HASHES`] wait, each for [`LONGEST_WAIT`] at most.
//! Beyond that a request is refused at once ([`HashingError::Busy`], a 429 asking to retry in a
//! few seconds) instead of joining a queue a flood of sign-ins would make endless, where a
//! person's own sign-in once waited 8 s or timed out.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// How many hashes may be computed at the same time.
pub const MAX_CONCURRENT_HASHES: usize = 2;
/// How many may wait for their turn; one more is refused.
pub const MAX_WAITING_HASHES: usize = 32;
/// How long one may wait for its turn before it is refused.
pub const LONGEST_WAIT: Duration = Duration::from_secs(5);

static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);
static WAITING: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Too many password checks are waiting already: try again in a moment.
    #[error("too many password checks are waiting for their turn")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The message a person sees when [`HashingError::Busy`] refuses them.
pub const BUSY: &str = "Many people are signing in right now. Please try again in a few seconds.";

impl From<HashingError> for crate::error::AppError {
    fn from(err: HashingError) -> Self {
        match err {
            HashingError::Busy => Self::RateLimited {
                retry_after_secs: 2,
                message: BUSY,
            },
            HashingError::Failed(err) => Self::Internal(err),
        }
    }
}

/// A turn to hash: waits in the short queue, or is refused.
async fn turn() -> Result<SemaphorePermit<'static>, HashingError> {
    // Taken without waiting when a slot is free (the common case).
    if let Ok(permit) = HASHING.try_acquire() {
        return Ok(permit);
    }
    let _waiting = Waiting::join().ok_or(HashingError::Busy)?;
    match tokio::time::timeout(LONGEST_WAIT, HASHING.acquire()).await {
        Ok(permit) => permit.map_err(|err| HashingError::Failed(err.into())),
        Err(_) => Err(HashingError::Busy),
    }
}

/// A place in the queue, given up when dropped.
struct Waiting;

impl Waiting {
    fn join() -> Option<Self> {
        let before = WAITING.fetch_add(1, Ordering::SeqCst);
        let place = Self;
        (before < MAX_WAITING_HASHES).then_some(place)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

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
pub async fn hash(password: String) -> Result<String, HashingError> {
    let _permit = turn().await?;
    let hashed = tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(hashed.map_err(|err| anyhow::anyhow!("argon2 hashing failed: {err}"))?)
}

/// True when `password` matches `hash`. With `hash` of `None` (unknown user) it still spends
/// the time of one verification and returns false.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, HashingError> {
    let _permit = turn().await?;
    let matched = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
    .map_err(anyhow::Error::from)?;
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
