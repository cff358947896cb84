//! The session store: rows in the `sessions` table, with a short-lived in-process cache so a
//! page view reads its session from memory rather than the database.
//!
//! Limit: with several web processes, a session ended on one (sign-out, password change) can
//! still be honoured by another's cache for up to [`CACHE_TTL`]. The process that ends it drops
//! it from its own cache at once.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use folio_db::DatabaseConnection;
use folio_db::queries::sessions;
use moka::future::Cache;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// How long a session may be served from memory before it is read again from the database.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// The key under which the signed-in user's id is kept, copied to `sessions.user_id`.
pub const USER_KEY: &str = "user";

#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    cache: Cache<i128, Record>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore")
            .field("cached", &self.cache.entry_count())
            .finish()
    }
}

fn backend_error(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn user_id_of(record: &Record) -> Option<i64> {
    record.data.get(USER_KEY)?.get("id")?.as_i64()
}

fn to_chrono(expiry: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(expiry.unix_timestamp(), expiry.nanosecond()).unwrap_or_else(Utc::now)
}

fn to_time(expiry: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(expiry.timestamp())
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(CACHE_TTL)
            .build();
        Self { db, cache }
    }

    /// Ends every session of `user_id` except `keep`, in the database and in this process's cache.
    pub async fn end_sessions_of(&self, user_id: i64, keep: Option<Id>) -> Result<u64, folio_db::DbErr> {
        let keep_key = keep.map(|id| id.to_string());
        let ended = sessions::delete_for_user(&self.db, user_id, keep_key.as_deref()).await?;
        self.forget_cached(user_id, keep).await;
        Ok(ended)
    }

    /// Drops a user's sessions from this process's cache (after they were deleted in the database).
    pub async fn forget_cached(&self, user_id: i64, keep: Option<Id>) {
        let stale: Vec<i128> = self
            .cache
            .iter()
            .filter(|(id, record)| user_id_of(record) == Some(user_id) && keep.map(|k| k.0) != Some(**id))
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.cache.invalidate(&id).await;
        }
    }

    async fn write(&self, record: &Record, fresh: bool) -> session_store::Result<bool> {
        let data = serde_json::to_string(&record.data).map_err(backend_error)?;
        let id = record.id.to_string();
        let expires_at = to_chrono(record.expiry_date);
        let user_id = user_id_of(record);
        let written = if fresh {
            sessions::insert_new(&self.db, &id, user_id, &data, expires_at)
                .await
                .map_err(backend_error)?
        } else {
            sessions::upsert(&self.db, &id, user_id, &data, expires_at)
                .await
                .map_err(backend_error)?;
            true
        };
        if written {
            self.cache.insert(record.id.0, record.clone()).await;
        }
        Ok(written)
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A collision of 128 random bits is not expected, but a store must not overwrite.
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, false).await.map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.cache.get(&id.0).await {
            if record.expiry_date > time::OffsetDateTime::now_utc() {
                return Ok(Some(record));
            }
            self.cache.invalidate(&id.0).await;
            return Ok(None);
        }
        let Some(row) = sessions::load(&self.db, &id.to_string())
            .await
            .map_err(backend_error)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&row.data).map_err(backend_error)?;
        let record = Record {
            id: *id,
            data,
            expiry_date: to_time(row.expires_at),
        };
        self.cache.insert(id.0, record.clone()).await;
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.invalidate(&id.0).await;
        sessions::delete(&self.db, &id.to_string())
            .await
            .map_err(backend_error)
    }
}
