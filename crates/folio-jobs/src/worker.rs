//! The worker: loops that claim one job at a time, run it under a lease, and record the
//! outcome.
//!
//! - While a job runs its lease is extended every third of the lease, so a long job is not
//!   taken over; a worker that dies stops extending, the lease runs out, and another worker
//!   claims the job again (the claim counts as an attempt).
//! - A failure is retried after an exponential backoff (`backoff_base · 2^(attempt-1)`, capped
//!   at one hour) until the job's attempts run out; then it is kept as `failed` with its last
//!   error, for staff to retry from the admin panel.
//! - On shutdown a loop stops claiming, gives its current job `grace` to finish, and otherwise
//!   drops it and releases the row, so another worker can run it at once.
//! - A job that succeeds stays as `succeeded` for `keep_succeeded` (the admin's job list shows
//!   what ran); every running worker prunes older ones once a minute, so the cleanup needs no
//!   scheduler of its own and depends on no single host. Failed jobs are never pruned: staff
//!   retry or delete them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use folio_db::entities::job;
use folio_db::queries::jobs::{self as queue, QueueDepth};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::context::JobContext;
use crate::queue::{JobError, Registry};

/// How workers behave; the defaults suit production.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Jobs this process runs at once (one loop each).
    pub concurrency: usize,
    /// How long a claim lasts without being extended.
    pub lease: Duration,
    /// How often an idle loop looks for due jobs.
    pub idle_poll: Duration,
    /// The first retry's delay; each further retry doubles it.
    pub backoff_base: Duration,
    /// How long a job may go on after shutdown is asked before it is released.
    pub grace: Duration,
    /// How long a succeeded job is kept (listed in the admin panel) before a worker's prune
    /// deletes it. A day, as river keeps completed jobs: enough to look into what ran
    /// overnight, while the table stays at about a day of jobs.
    pub keep_succeeded: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(10),
            grace: Duration::from_secs(20),
            keep_succeeded: KEEP_SUCCEEDED,
        }
    }
}

/// How often a running worker logs the queue's depth and its heartbeat, and prunes old
/// succeeded jobs.
const DEPTH_REPORT_EVERY: Duration = Duration::from_secs(60);

/// The default of [`WorkerOptions::keep_succeeded`]: 24 hours.
pub const KEEP_SUCCEEDED: Duration = Duration::from_secs(24 * 60 * 60);

/// Rows one prune statement deletes at most: small enough that a delete holds its row locks
/// for a moment, not for a long statement that completions would queue behind.
const PRUNE_BATCH: u64 = 500;

/// Prune statements per minute and worker process at most (10,000 rows): more than a busy
/// site finishes per minute, and a backlog (after an upgrade, say) clears over a few minutes
/// instead of in one long burst. The next tick goes on where this one stopped.
const PRUNE_BATCHES_PER_TICK: u32 = 20;

/// A worker whose loops have not moved for this long is stuck: it logs no heartbeat.
const STUCK_AFTER: Duration = Duration::from_secs(120);

/// When a loop of this worker last showed progress (claimed, polled, or extended a lease), in
/// seconds since the Unix epoch: what the heartbeat reports on.
#[derive(Clone, Debug)]
struct Liveness(Arc<AtomicU64>);

impl Liveness {
    fn new() -> Self {
        let liveness = Self(Arc::new(AtomicU64::new(0)));
        liveness.mark();
        liveness
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
    }

    fn mark(&self) {
        self.0.store(Self::now(), Ordering::Relaxed);
    }

    fn moved_within(&self, window: Duration) -> bool {
        Self::now().saturating_sub(self.0.load(Ordering::Relaxed)) <= window.as_secs()
    }
}

/// Logs the queue's depth as `queue depth` with `queued`, `running` and `failed` fields (and
/// `succeeded`) until shutdown, then `worker alive` when the database answered and a loop
/// moved recently. In AWS CloudWatch metric filters turn these lines into the queue-depth
/// metric and the worker heartbeat, whose alarm fires when the lines stop (a dead, stuck or
/// cut-off worker), so the worker needs no metrics client of its own. On the same tick it
/// prunes succeeded jobs older than `keep_succeeded`.
async fn report_queue_depth(
    db: folio_db::DatabaseConnection,
    liveness: Liveness,
    every: Duration,
    keep_succeeded: Duration,
    shutdown: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped(shutdown.clone()) => return,
        }
        match QueueDepth::read(&db).await {
            Ok(depth) => {
                tracing::info!(
                    target: "folio::queue",
                    queued = depth.queued,
                    running = depth.running,
                    failed = depth.failed,
                    succeeded = depth.succeeded,
                    "queue depth"
                );
                if liveness.moved_within(STUCK_AFTER) {
                    tracing::info!(target: "folio::worker", "worker alive");
                } else {
                    tracing::warn!("no worker loop has moved for {} s", STUCK_AFTER.as_secs());
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read the queue depth"),
        }
        match prune_succeeded(&db, keep_succeeded, PRUNE_BATCHES_PER_TICK).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(target: "folio::queue", pruned, "pruned succeeded jobs"),
            Err(err) => tracing::warn!(error = %err, "could not prune succeeded jobs"),
        }
    }
}

/// Deletes succeeded jobs that finished more than `keep` ago, [`PRUNE_BATCH`] rows per
/// statement, for up to `batches` statements; returns how many went.
async fn prune_succeeded(
    db: &folio_db::DatabaseConnection,
    keep: Duration,
    batches: u32,
) -> Result<u64, folio_db::DbErr> {
    let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
    let finished_before = Utc::now()
        .checked_sub_signed(keep)
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let mut pruned = 0;
    for _ in 0..batches {
        let deleted = queue::prune_succeeded(db, finished_before, PRUNE_BATCH).await?;
        pruned += deleted;
        if deleted < PRUNE_BATCH {
            break;
        }
    }
    Ok(pruned)
}

/// The delay before retry number `attempt` (1 after the first failure).
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    base.saturating_mul(1 << exponent).min(Duration::from_secs(3600))
}

/// Runs jobs from the outbox with the handlers of a [`Registry`].
#[derive(Clone, Debug)]
pub struct Worker {
    ctx: JobContext,
    registry: Registry,
    options: WorkerOptions,
    liveness: Liveness,
}

/// What happened to one claimed job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Retrying,
    Failed,
    /// Shutdown came first: the job was given back.
    Released,
    /// Our lease had been taken over, so the result was not ours to record.
    LostLease,
}

impl Worker {
    pub fn new(ctx: JobContext, registry: Registry, options: WorkerOptions) -> Self {
        Self {
            ctx,
            registry,
            options,
            liveness: Liveness::new(),
        }
    }

    pub fn context(&self) -> &JobContext {
        &self.ctx
    }

    /// Runs `concurrency` loops until `shutdown` turns true, then waits for them to finish
    /// or release their jobs.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let mut loops = JoinSet::new();
        for n in 0..self.options.concurrency.max(1) {
            let worker = self.clone();
            let shutdown = shutdown.clone();
            let id = worker_id(n);
            loops.spawn(async move { worker.run_loop(&id, shutdown).await });
        }
        let db = self.ctx.db.clone();
        let reporter = tokio::spawn(report_queue_depth(
            db,
            self.liveness.clone(),
            DEPTH_REPORT_EVERY,
            self.options.keep_succeeded,
            shutdown.clone(),
        ));
        tracing::info!(loops = self.options.concurrency, "job worker started");
        while loops.join_next().await.is_some() {}
        reporter.abort();
        tracing::info!("job worker stopped");
    }

    async fn run_loop(&self, id: &str, shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            self.liveness.mark();
            let pause = match self.claim_one(id).await {
                Ok(Some(job)) => {
                    self.run_job(id, job, shutdown.clone()).await;
                    continue;
                }
                Ok(None) => self.options.idle_poll,
                Err(err) => {
                    tracing::warn!(error = %err, "could not claim a job; retrying shortly");
                    self.options.idle_poll * 2
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopped(shutdown.clone()) => {}
            }
        }
    }

    async fn claim_one(&self, id: &str) -> Result<Option<job::Model>, folio_db::DbErr> {
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::seconds(60));
        Ok(queue::claim(&self.ctx.db, id, 1, lease).await?.into_iter().next())
    }

    /// Runs every job that is due now, in this task, until none is left; returns how many ran.
    /// Tests use it; jobs scheduled for later (backoff) are left. It does not prune: the jobs it
    /// ran stay as `succeeded` for the caller to look at.
    pub async fn drain(&self) -> Result<usize, folio_db::DbErr> {
        let id = worker_id(0);
        let (_keep, never) = watch::channel(false);
        let mut ran = 0;
        while let Some(job) = self.claim_one(&id).await? {
            self.run_job(&id, job, never.clone()).await;
            ran += 1;
        }
        Ok(ran)
    }

    /// What a running worker does once a minute besides reporting: deletes the succeeded jobs
    /// that finished more than `keep_succeeded` ago (all of them, however many batches it
    /// takes); returns how many went.
    pub async fn prune_succeeded(&self) -> Result<u64, folio_db::DbErr> {
        prune_succeeded(&self.ctx.db, self.options.keep_succeeded, u32::MAX).await
    }

    /// Runs one claimed job, keeping its lease alive, and records the outcome.
    pub async fn run_job(&self, id: &str, job: job::Model, shutdown: watch::Receiver<bool>) -> Outcome {
        let started = Instant::now();
        let run = self.registry.start(&job.kind, &job.payload, self.ctx.clone());
        tokio::pin!(run);
        let lease = chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::seconds(60));
        let mut heartbeat = tokio::time::interval(self.options.lease / 3);
        heartbeat.tick().await;
        let mut deadline: Option<Instant> = None;
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                _ = heartbeat.tick() => {
                    self.liveness.mark();
                    if let Err(err) = queue::extend_lease(&self.ctx.db, job.id, id, lease).await {
                        tracing::warn!(job = job.id, error = %err, "could not extend the lease");
                    }
                }
                _ = stopped(shutdown.clone()), if deadline.is_none() => {
                    deadline = Some(Instant::now() + self.options.grace);
                }
                _ = sleep_until_some(deadline) => {
                    tracing::warn!(job = job.id, kind = %job.kind, "shutdown grace over: releasing the job");
                    let outcome = match queue::release(&self.ctx.db, job.id, id).await {
                        Ok(true) => Outcome::Released,
                        _ => Outcome::LostLease,
                    };
                    crate::metrics::record_job(&job.kind, outcome, started.elapsed());
                    return outcome;
                }
            }
        };
        let took = started.elapsed();
        let outcome = self.record(id, &job, result, took).await;
        crate::metrics::record_job(&job.kind, outcome, took);
        outcome
    }

    async fn record(
        &self,
        id: &str,
        job: &job::Model,
        result: Result<(), JobError>,
        took: Duration,
    ) -> Outcome {
        let recorded = match &result {
            Ok(()) => queue::complete(&self.ctx.db, job.id, id)
                .await
                .map(|ours| (ours, Outcome::Done)),
            Err(err) => {
                let retry_at = match err {
                    JobError::Retry(_) if job.attempts < job.max_attempts => {
                        let delay = backoff(self.options.backoff_base, job.attempts);
                        Some(Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default())
                    }
                    _ => None,
                };
                let outcome = if retry_at.is_some() {
                    Outcome::Retrying
                } else {
                    Outcome::Failed
                };
                queue::fail(&self.ctx.db, job.id, id, &err.to_string(), retry_at)
                    .await
                    .map(|ours| (ours, outcome))
            }
        };
        match recorded {
            Ok((true, outcome)) => {
                match &result {
                    Ok(()) => {
                        tracing::info!(job = job.id, kind = %job.kind, took_ms = took.as_millis() as u64, "job done")
                    }
                    Err(err) => {
                        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, ?outcome, error = %err, "job failed")
                    }
                }
                outcome
            }
            Ok((false, _)) => {
                tracing::warn!(job = job.id, kind = %job.kind, "lease was taken over; outcome not recorded");
                Outcome::LostLease
            }
            Err(err) => {
                // The lease will run out and the job will run again: handlers are idempotent.
                tracing::error!(job = job.id, error = %err, "could not record the job's outcome");
                Outcome::LostLease
            }
        }
    }
}

/// Resolves once shutdown is asked for (the flag turns true or its sender is gone).
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `<host>-<pid>-<loop>-<random>`: unique per loop, readable in the admin's job list.
fn worker_id(n: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    let mut id = format!("{host}-{}-{n}-{}", std::process::id(), &random[..8]);
    id.truncate(64);
    id
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use std::sync::atomic::Ordering;

    use super::{Liveness, STUCK_AFTER, backoff};

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), Duration::from_secs(10));
        assert_eq!(backoff(base, 2), Duration::from_secs(20));
        assert_eq!(backoff(base, 4), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), Duration::from_secs(3600));
        assert_eq!(backoff(base, 0), Duration::from_secs(10));
    }

    #[test]
    fn a_worker_whose_loops_stopped_moving_is_not_alive() {
        let liveness = Liveness::new();
        assert!(liveness.moved_within(STUCK_AFTER), "alive when it starts");
        let stuck_since = Liveness::now() - STUCK_AFTER.as_secs() - 1;
        liveness.0.store(stuck_since, Ordering::Relaxed);
        assert!(!liveness.moved_within(STUCK_AFTER));
        liveness.mark();
        assert!(
            liveness.moved_within(STUCK_AFTER),
            "alive again once a loop moves"
        );
    }
}
