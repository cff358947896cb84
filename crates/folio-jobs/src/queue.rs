//! Job types and how they are written to the outbox and dispatched.
//!
//! A job is a serde struct with a stable `KIND` and a `run` method. [`enqueue`] writes it
//! through whatever connection the caller holds: inside the transaction of the change that
//! causes it, so a rolled-back change leaves no job and a committed one can't lose its job.
//! Jobs run *at least once* (a worker can die after the work and before deleting the row), so
//! every `run` must be idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use folio_db::{ConnectionTrait, DbErr};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::JobContext;

/// Why a run did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (the backoff decides when).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (e.g. the payload can't be read): no more attempts.
    #[error("{0}")]
    Permanent(String),
}

impl From<DbErr> for JobError {
    fn from(err: DbErr) -> Self {
        Self::Retry(format!("database: {err}"))
    }
}

/// A kind of background work.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored in `jobs.kind`. Never rename one that has shipped: rows queued by
    /// the previous release must still find their handler.
    const KIND: &'static str;
    /// Attempts before the job is kept as failed.
    const MAX_ATTEMPTS: i32 = 8;

    fn run(self, ctx: &JobContext) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// Writes `job` to the outbox through `conn` (pass the change's transaction).
pub async fn enqueue<J: Job>(conn: &impl ConnectionTrait, job: &J) -> Result<i64, DbErr> {
    enqueue_at(conn, job, Utc::now()).await
}

/// Writes `job` to the outbox, to run at `run_at` or soon after: whichever worker polls first
/// after that time claims it, so a schedule survives any one host.
pub async fn enqueue_at<J: Job>(
    conn: &impl ConnectionTrait,
    job: &J,
    run_at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let payload = serde_json::to_string(job).map_err(|err| DbErr::Custom(format!("job payload: {err}")))?;
    folio_db::queries::jobs::enqueue(conn, J::KIND, &payload, J::MAX_ATTEMPTS, run_at).await
}

type BoxedRun = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(&str, JobContext) -> BoxedRun + Send + Sync>;

/// Which code runs each `kind`.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.handlers.keys().collect();
        kinds.sort();
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

impl Registry {
    /// Folio's own jobs.
    pub fn standard() -> Self {
        Self::default()
            .with::<crate::jobs::SendEmail>()
            .with::<crate::jobs::NotifySubscribers>()
            .with::<crate::jobs::PublishScheduled>()
            .with::<crate::jobs::SendNotifications>()
            .with::<crate::jobs::ContactReceived>()
            .with::<crate::jobs::MakeRenditions>()
            .with::<crate::jobs::DeleteImage>()
    }

    /// Adds job type `J`.
    pub fn with<J: Job>(mut self) -> Self {
        let handler: Handler = Arc::new(|payload: &str, ctx: JobContext| -> BoxedRun {
            let parsed = serde_json::from_str::<J>(payload);
            Box::pin(async move {
                let job = parsed.map_err(|err| JobError::Permanent(format!("unreadable payload: {err}")))?;
                job.run(&ctx).await
            })
        });
        self.handlers.insert(J::KIND, handler);
        self
    }

    /// Starts the run of one job row; an unknown kind fails permanently.
    pub(crate) fn start(&self, kind: &str, payload: &str, ctx: JobContext) -> BoxedRun {
        match self.handlers.get(kind) {
            Some(handler) => handler(payload, ctx),
            None => {
                let kind = kind.to_owned();
                Box::pin(async move { Err(JobError::Permanent(format!("no handler for job kind {kind:?}"))) })
            }
        }
    }
}
