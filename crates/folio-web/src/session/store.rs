//! The session store: rows in the `sessions` table (`FOLIO_CACHE_URL=memory://`) or keys in
//! Redis (`redis://`), with an in-process cache in front so a page view reads its session from
//! memory rather than over the network.
//!
//! The cache is kept correct across instances by [`crate::cluster`]: ending or changing a
//! session announces it, every instance drops its copy, and an instance that can't hear the
//! announcements stops serving from its cache until it can (and then starts empty). With
//! `memory://` there is one process and its own writes keep its cache right.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use folio_db::DatabaseConnection;
use folio_db::queries::sessions;
use moka::future::Cache;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::redis_sessions;
use crate::cluster::{Cluster, Event, RedisLink};
use crate::error::AppError;

/// How long a session may be served from memory before it is read again from the store: a
/// backstop only, announcements keep the cache right.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// The key under which the signed-in user's id is kept, copied to `sessions.user_id`.
pub const USER_KEY: &str = "user";

/// The key under which a session keeps when and from what browser it signed in (the sessions
/// list in Settings shows it).
pub const DEVICE_KEY: &str = "device";

/// Where sessions are kept.
#[derive(Clone)]
enum Backend {
    Database(DatabaseConnection),
    Redis(Arc<RedisLink>),
}

#[derive(Clone)]
pub struct Sessions {
    backend: Backend,
    cache: Cache<i128, Record>,
    /// Bumped whenever cached sessions are dropped: a session read from the store before the
    /// bump is not cached, since it may be the one that was just ended.
    generation: Arc<AtomicU64>,
    cluster: Cluster,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.backend {
            Backend::Database(_) => "database",
            Backend::Redis(_) => "redis",
        };
        f.debug_struct("Sessions")
            .field("backend", &backend)
            .field("cached", &self.cache.entry_count())
            .finish()
    }
}

fn backend_error(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

pub(super) fn user_id_of(record: &Record) -> Option<i64> {
    record.data.get(USER_KEY)?.get("id")?.as_i64()
}

fn to_chrono(expiry: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(expiry.unix_timestamp(), expiry.nanosecond()).unwrap_or_else(Utc::now)
}

fn to_time(expiry: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(expiry.timestamp())
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

impl Sessions {
    /// Sessions in Redis when `cluster` has a Redis link, in the database otherwise.
    pub fn new(db: DatabaseConnection, cluster: Cluster) -> Self {
        let backend = match cluster.redis() {
            Some(link) => Backend::Redis(link.clone()),
            None => Backend::Database(db),
        };
        let sessions = Self {
            backend,
            cache: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CACHE_TTL)
                // Ending one session drops only it (a predicate), not everyone's.
                .support_invalidation_closures()
                .build(),
            generation: Arc::new(AtomicU64::new(0)),
            cluster: cluster.clone(),
        };
        // The listener holds the cache, not the store: the store holds the cluster.
        let (cache, generation) = (sessions.cache.clone(), sessions.generation.clone());
        cluster.listen(Arc::new(move |event| forget(&cache, &generation, event)));
        sessions
    }

    /// Whether sessions live in the database (and expired rows need sweeping).
    pub fn in_database(&self) -> bool {
        matches!(self.backend, Backend::Database(_))
    }

    /// Ends every session of `user_id` except `keep`, in the store and in every instance's cache.
    pub async fn end_sessions_of(&self, user_id: i64, keep: Option<Id>) -> Result<u64, AppError> {
        let ended = match &self.backend {
            Backend::Database(db) => {
                let keep_key = keep.map(|id| id.to_string());
                sessions::delete_for_user(db, user_id, keep_key.as_deref()).await?
            }
            Backend::Redis(link) => redis_sessions::end_for_user(link, user_id, keep)
                .await
                .map_err(|err| AppError::Unavailable(format!("ending sessions: {err}")))?,
        };
        let event = Event::UserSessionsEnded {
            user_id,
            keep: keep.map(|id| id.0),
        };
        forget(&self.cache, &self.generation, &event);
        self.cluster.announce(event).await;
        Ok(ended)
    }

    /// The live sessions of `user_id`, newest sign-in first.
    pub async fn list_for_user(&self, user_id: i64) -> Result<Vec<Record>, AppError> {
        let mut records = match &self.backend {
            Backend::Database(db) => {
                let rows = sessions::list_for_user(db, user_id).await?;
                rows.into_iter()
                    .filter_map(|row| record_of(row).ok())
                    .collect::<Vec<_>>()
            }
            Backend::Redis(link) => redis_sessions::list_for_user(link, user_id)
                .await
                .map_err(|err| AppError::Unavailable(format!("listing sessions: {err}")))?,
        };
        records.sort_by_key(|record| std::cmp::Reverse(signed_in_at(record)));
        Ok(records)
    }

    /// Ends one session, in the store and in every instance's cache.
    pub async fn end(&self, id: &Id) -> Result<(), AppError> {
        self.delete(id)
            .await
            .map_err(|err| AppError::Unavailable(format!("ending a session: {err}")))
    }

    /// Ends the oldest sessions of `user_id` until at most `keep` remain; returns how many ended.
    /// Called before a sign-in adds one, so that one account can't pile up sessions without end.
    pub async fn keep_newest(&self, user_id: i64, keep: usize) -> Result<usize, AppError> {
        let sessions = self.list_for_user(user_id).await?;
        let oldest = sessions.get(keep..).unwrap_or_default();
        for record in oldest {
            self.end(&record.id).await?;
        }
        Ok(oldest.len())
    }

    async fn write(&self, record: &Record, fresh: bool) -> session_store::Result<bool> {
        let written = match &self.backend {
            Backend::Database(db) => write_row(db, record, fresh).await?,
            Backend::Redis(link) => redis_sessions::write(link, record, fresh)
                .await
                .map_err(backend_error)?,
        };
        if written {
            if !fresh {
                // Another instance may hold the previous version.
                self.cluster.announce(Event::SessionChanged(record.id.0)).await;
            }
            self.cache.insert(record.id.0, record.clone()).await;
        }
        Ok(written)
    }

    async fn read(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match &self.backend {
            Backend::Database(db) => read_row(db, id).await,
            Backend::Redis(link) => redis_sessions::read(link, id).await.map_err(backend_error),
        }
    }
}

/// Drops what `event` says is stale from `cache`.
fn forget(cache: &Cache<i128, Record>, generation: &AtomicU64, event: &Event) {
    generation.fetch_add(1, Ordering::AcqRel);
    match *event {
        Event::SessionChanged(id) => cache.invalidate_entries_if(move |key, _| *key == id),
        Event::UserSessionsEnded { user_id, keep } => cache.invalidate_entries_if(move |key, record| {
            user_id_of(record) == Some(user_id) && keep != Some(*key)
        }),
        Event::Resync => {
            cache.invalidate_all();
            return;
        }
        Event::PagesChanged | Event::TokensRevoked { .. } => return,
    }
    .map(drop)
    .unwrap_or_else(|err| {
        // Not expected (the cache supports predicates); dropping everything is still correct.
        tracing::warn!(error = %err, "session cache: dropping every entry");
        cache.invalidate_all();
    });
}

async fn write_row(db: &DatabaseConnection, record: &Record, fresh: bool) -> session_store::Result<bool> {
    let data = serde_json::to_string(&record.data).map_err(backend_error)?;
    let id = record.id.to_string();
    let expires_at = to_chrono(record.expiry_date);
    let user_id = user_id_of(record);
    if fresh {
        return sessions::insert_new(db, &id, user_id, &data, expires_at)
            .await
            .map_err(backend_error);
    }
    sessions::upsert(db, &id, user_id, &data, expires_at)
        .await
        .map_err(backend_error)?;
    Ok(true)
}

async fn read_row(db: &DatabaseConnection, id: &Id) -> session_store::Result<Option<Record>> {
    let Some(row) = sessions::load(db, &id.to_string()).await.map_err(backend_error)? else {
        return Ok(None);
    };
    record_of(row).map(Some)
}

fn record_of(row: folio_db::entities::session::Model) -> session_store::Result<Record> {
    let id = row.id.parse::<Id>().map_err(backend_error)?;
    let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data).map_err(backend_error)?;
    Ok(Record {
        id,
        data,
        expiry_date: to_time(row.expires_at),
    })
}

/// When the session's user signed in (unix milliseconds; 0 for a session from before this was
/// kept).
pub fn signed_in_at(record: &Record) -> i64 {
    record
        .data
        .get(DEVICE_KEY)
        .and_then(|device| device.get("signed_in_at"))
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0)
}

#[async_trait]
impl SessionStore for Sessions {
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
        let trusted = self.cluster.local_copies_trusted();
        if trusted && let Some(record) = self.cache.get(&id.0).await {
            metrics::counter!("folio_session_loads_total", "source" => "memory").increment(1);
            if record.expiry_date > time::OffsetDateTime::now_utc() {
                return Ok(Some(record));
            }
            self.cache.invalidate(&id.0).await;
            return Ok(None);
        }
        metrics::counter!("folio_session_loads_total", "source" => "store").increment(1);
        let read_at = self.generation.load(Ordering::Acquire);
        let found = self.read(id).await?;
        if let Some(record) = &found
            && trusted
            && self.generation.load(Ordering::Acquire) == read_at
        {
            self.cache.insert(id.0, record.clone()).await;
        }
        Ok(found)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match &self.backend {
            Backend::Database(db) => sessions::delete(db, &id.to_string())
                .await
                .map_err(backend_error)?,
            Backend::Redis(link) => redis_sessions::delete(link, id).await.map_err(backend_error)?,
        }
        let event = Event::SessionChanged(id.0);
        forget(&self.cache, &self.generation, &event);
        self.cluster.announce(event).await;
        Ok(())
    }
}
