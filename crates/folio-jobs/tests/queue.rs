//! The job system's guarantees, proved against the real database of each backend (SQLite,
//! PostgreSQL, MariaDB) through the public API: the queue statements of
//! `folio_db::queries::jobs`, `folio_jobs::enqueue` and the `Worker`.
//!
//! Most tests use `Probe`, a test-only job that records every start and finish in a log shared
//! with the test (keyed per test, since the tests of this binary run in parallel), so "ran
//! exactly once" is counted, not inferred from the queue's own bookkeeping.

// Test code: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use chrono::Utc;
use folio_db::entities::{delivery, job, subscriber};
use folio_db::queries::jobs as queue;
use folio_jobs::jobs::{NotifySubscribers, SENDS_IN_FLIGHT};
use folio_jobs::{
    Email, Job, JobContext, JobError, Mailer, Outcome, QueueDepth, RateLimiter, Registry, Worker,
    WorkerOptions, enqueue,
};
use folio_testkit::{Backend, Mail, SmtpSink, TestApp, backend_tests};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

backend_tests!(
    concurrent_claims_never_hand_out_a_job_twice,
    several_workers_run_each_job_exactly_once,
    a_job_claimed_by_a_dead_worker_runs_again_after_the_lease_and_not_before,
    a_job_whose_worker_is_killed_mid_run_runs_again_after_the_lease,
    a_notification_retried_after_a_crash_emails_nobody_twice,
    a_notification_worker_killed_mid_batch_emails_nobody_twice,
    a_fan_out_for_an_item_deleted_or_unpublished_since_is_done_with_nothing_to_send,
    a_failing_job_backs_off_ends_failed_and_can_be_retried,
    a_job_that_can_never_succeed_fails_at_once,
    a_job_enqueued_in_a_rolled_back_transaction_never_runs,
    shutdown_finishes_a_short_job_and_releases_a_long_one,
    the_queue_depth_counts_jobs_in_each_state,
    the_metrics_read_the_oldest_due_job_and_the_pool,
    a_finished_job_stays_as_succeeded_and_never_runs_again,
    the_prune_removes_only_succeeded_jobs_older_than_the_retention,
    a_running_worker_prunes_old_succeeded_jobs,
    pruning_beside_busy_workers_loses_nothing_and_never_fails,
);

// --- the probe job ---------------------------------------------------------------------------

/// What the probes of one test did.
#[derive(Debug, Default)]
struct ProbeLog {
    /// Probe numbers, once per start (a probe started twice appears twice).
    started: Vec<u32>,
    /// Probe numbers, once per successful finish.
    finished: Vec<u32>,
    /// While true, every probe of this log fails (with `JobError::Retry`).
    broken: bool,
}

static LOGS: LazyLock<Mutex<HashMap<u64, ProbeLog>>> = LazyLock::new(Mutex::default);
static NEXT_LOG: AtomicU64 = AtomicU64::new(1);

/// A fresh log for one test.
fn new_log() -> u64 {
    let key = NEXT_LOG.fetch_add(1, Ordering::Relaxed);
    LOGS.lock().unwrap().insert(key, ProbeLog::default());
    key
}

fn with_log<T>(key: u64, f: impl FnOnce(&mut ProbeLog) -> T) -> T {
    f(LOGS.lock().unwrap().entry(key).or_default())
}

fn started(key: u64) -> Vec<u32> {
    with_log(key, |log| log.started.clone())
}

fn finished(key: u64) -> Vec<u32> {
    with_log(key, |log| log.finished.clone())
}

/// A test job: records its start, optionally hangs on its first run (a worker that never
/// comes back), sleeps, fails while its log is broken, and records its finish.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {
    log: u64,
    n: u32,
    sleep_ms: u64,
    hang_first: bool,
}

impl Probe {
    fn new(log: u64, n: u32) -> Self {
        Self {
            log,
            n,
            sleep_ms: 0,
            hang_first: false,
        }
    }
}

impl Job for Probe {
    const KIND: &'static str = "test_probe";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, _ctx: &JobContext) -> Result<(), JobError> {
        let attempt = with_log(self.log, |log| {
            log.started.push(self.n);
            log.started.iter().filter(|n| **n == self.n).count()
        });
        if self.hang_first && attempt == 1 {
            std::future::pending::<()>().await;
        }
        if self.sleep_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.sleep_ms)).await;
        }
        if with_log(self.log, |log| log.broken) {
            return Err(JobError::Retry(format!(
                "probe {} broken on attempt {attempt}",
                self.n
            )));
        }
        with_log(self.log, |log| log.finished.push(self.n));
        Ok(())
    }
}

// --- helpers ---------------------------------------------------------------------------------

/// Short lease, fast polling and a short backoff, so tests wait as little as possible.
fn quick() -> WorkerOptions {
    WorkerOptions {
        concurrency: 1,
        lease: Duration::from_secs(1),
        idle_poll: Duration::from_millis(20),
        backoff_base: Duration::from_millis(300),
        grace: Duration::from_millis(300),
        ..WorkerOptions::default()
    }
}

fn worker_with(ctx: JobContext, options: WorkerOptions) -> Worker {
    Worker::new(ctx, Registry::standard().with::<Probe>(), options)
}

fn worker(app: &TestApp, options: WorkerOptions) -> Worker {
    worker_with(app.worker().context().clone(), options)
}

/// A shutdown flag that is never raised, for `Worker::run_job`.
fn never() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    std::mem::forget(tx); // a dropped sender reads as "stop"
    rx
}

fn lease(seconds: i64) -> chrono::Duration {
    chrono::Duration::seconds(seconds)
}

async fn job_row(app: &TestApp, id: i64) -> job::Model {
    queue::find(app.db(), id).await.unwrap().expect("the job row")
}

/// The job finished: kept as `succeeded`, its lease cleared, so nothing claims it again.
async fn assert_succeeded(app: &TestApp, id: i64) {
    let row = job_row(app, id).await;
    assert_eq!(row.state, job::SUCCEEDED, "job {id}");
    assert_eq!((row.locked_by, row.locked_until), (None, None), "job {id}");
}

/// Polls `done` every 10 ms for up to `limit`; panics with `what` if it never holds.
async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sleeps until just after `at` (database timestamps are compared with the client's clock).
async fn sleep_past(at: chrono::DateTime<Utc>) {
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(30)).await;
}

/// Each value with how often it occurs.
fn tally<T: Ord + Clone>(values: &[T]) -> BTreeMap<T, usize> {
    let mut counts = BTreeMap::new();
    for value in values {
        *counts.entry(value.clone()).or_insert(0) += 1;
    }
    counts
}

// --- a. no two workers run the same job -------------------------------------------------------

/// Four claimers race `claim` directly (batches of 7) until nothing is left: every job is
/// handed out once, to exactly the claimer whose name the row now carries.
async fn concurrent_claims_never_hand_out_a_job_twice(app: TestApp) {
    let log = new_log();
    let mut ids = Vec::new();
    for n in 0..200 {
        ids.push(enqueue(app.db(), &Probe::new(log, n)).await.unwrap());
    }
    let mut claimers = tokio::task::JoinSet::new();
    for c in 0..4 {
        let db = app.db().clone();
        claimers.spawn(async move {
            let name = format!("claimer-{c}");
            let mut got = Vec::new();
            loop {
                let jobs = queue::claim(&db, &name, 7, lease(60)).await.unwrap();
                if jobs.is_empty() {
                    break;
                }
                for job in jobs {
                    assert_eq!(job.state, job::RUNNING);
                    assert_eq!(job.attempts, 1, "a job was claimed a second time");
                    got.push((job.id, name.clone()));
                }
                tokio::task::yield_now().await;
            }
            got
        });
    }
    let mut claimed = Vec::new();
    while let Some(got) = claimers.join_next().await {
        claimed.extend(got.unwrap());
    }
    let claimed_ids: Vec<i64> = claimed.iter().map(|(id, _)| *id).collect();
    let duplicates: Vec<_> = tally(&claimed_ids).into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(duplicates.is_empty(), "claimed twice: {duplicates:?}");
    let mut sorted = claimed_ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ids, "every job claimed");
    // The rows agree with what each claimer was told.
    let rows = job::Entity::find().all(app.db()).await.unwrap();
    let owners: HashMap<i64, String> = claimed.into_iter().collect();
    for row in rows {
        assert_eq!(row.state, job::RUNNING);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.locked_by.as_ref(), owners.get(&row.id), "job {}", row.id);
    }
    // Nothing is left to claim while the leases hold.
    assert!(
        queue::claim(app.db(), "late", 10, lease(60))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Three `Worker::run`s with two loops each (six claimers) run 120 probes: each probe starts
/// once and finishes once, and the queue ends empty.
async fn several_workers_run_each_job_exactly_once(app: TestApp) {
    let log = new_log();
    let total = 120;
    for n in 0..total {
        let probe = Probe {
            sleep_ms: 2,
            ..Probe::new(log, n)
        };
        enqueue(app.db(), &probe).await.unwrap();
    }
    let (stop, stopping) = watch::channel(false);
    let options = WorkerOptions {
        concurrency: 2,
        // Far longer than a probe: a run again could only come from a double claim.
        lease: Duration::from_secs(30),
        ..quick()
    };
    let workers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(worker(&app, options.clone()).run(stopping.clone())))
        .collect();
    wait_until("every probe finished", Duration::from_secs(60), || {
        finished(log).len() >= total as usize
    })
    .await;
    stop.send(true).unwrap();
    for worker in workers {
        tokio::time::timeout(Duration::from_secs(10), worker)
            .await
            .expect("workers stop")
            .unwrap();
    }
    let expected: Vec<u32> = (0..total).collect();
    let mut runs = started(log);
    runs.sort_unstable();
    assert_eq!(runs, expected, "each probe started exactly once");
    let mut done = finished(log);
    done.sort_unstable();
    assert_eq!(done, expected, "each probe finished exactly once");
    assert_eq!(app.pending_jobs().await, 0);
    assert_eq!(app.job_counts().await.succeeded, i64::from(total));
}

// --- b. a dead worker's job runs again once its lease is over ----------------------------------

/// A claim that is never completed is what a worker that died leaves behind. No one else may
/// take the job while the lease holds; after it, the job runs again (a new attempt), and the
/// dead worker, should it wake up, can no longer touch it.
async fn a_job_claimed_by_a_dead_worker_runs_again_after_the_lease_and_not_before(app: TestApp) {
    let log = new_log();
    let id = enqueue(app.db(), &Probe::new(log, 1)).await.unwrap();
    let dead = queue::claim(app.db(), "dead-worker", 1, lease(1)).await.unwrap();
    assert_eq!(dead.len(), 1);
    let locked_until = dead[0].locked_until.expect("a lease");
    let alive = worker(&app, quick());

    // While the lease holds: nobody gets it.
    assert!(
        queue::claim(app.db(), "other", 1, lease(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(alive.drain().await.unwrap(), 0);
    assert!(Utc::now() < locked_until, "the checks above ran inside the lease");
    let row = job_row(&app, id).await;
    assert_eq!(row.state, job::RUNNING);
    assert_eq!(row.locked_by.as_deref(), Some("dead-worker"));

    sleep_past(locked_until).await;
    let again = queue::claim(app.db(), "other", 1, lease(5)).await.unwrap();
    assert_eq!(again.len(), 1, "claimable once the lease is over");
    assert_eq!(again[0].id, id);
    assert_eq!(
        again[0].attempts, 2,
        "the dead worker's claim counted as an attempt"
    );

    // The dead worker comes back: its lease was taken over, it can change nothing.
    assert!(!queue::complete(app.db(), id, "dead-worker").await.unwrap());
    assert!(
        !queue::fail(app.db(), id, "dead-worker", "late", None)
            .await
            .unwrap()
    );
    assert!(!queue::release(app.db(), id, "dead-worker").await.unwrap());
    assert!(
        !queue::extend_lease(app.db(), id, "dead-worker", lease(60))
            .await
            .unwrap()
    );
    assert_eq!(job_row(&app, id).await.locked_by.as_deref(), Some("other"));

    let outcome = alive
        .run_job("other", again.into_iter().next().unwrap(), never())
        .await;
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(finished(log), vec![1]);
    assert_succeeded(&app, id).await;
}

/// A `Worker::run` task is aborted while its job hangs (the process was killed). Polling
/// with another worker, the job is picked up only once its lease has passed, and then runs
/// to the end.
async fn a_job_whose_worker_is_killed_mid_run_runs_again_after_the_lease(app: TestApp) {
    let log = new_log();
    let probe = Probe {
        hang_first: true,
        ..Probe::new(log, 7)
    };
    let id = enqueue(app.db(), &probe).await.unwrap();
    let (_stop, stopping) = watch::channel(false);
    let doomed = tokio::spawn(worker(&app, quick()).run(stopping));
    wait_until("the probe started", Duration::from_secs(10), || {
        started(log) == vec![7]
    })
    .await;
    // Let it extend its lease at least once, so the test covers a heartbeat too.
    tokio::time::sleep(Duration::from_millis(400)).await;
    doomed.abort();
    assert!(doomed.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(50)).await; // any statement in flight lands

    let row = job_row(&app, id).await;
    assert_eq!(row.state, job::RUNNING);
    assert_eq!(row.attempts, 1);
    let locked_until = row.locked_until.expect("a lease");

    let survivor = worker(&app, quick());
    let mut polls = 0;
    loop {
        let ran = survivor.drain().await.unwrap();
        if ran > 0 {
            assert_eq!(ran, 1);
            assert!(
                Utc::now() >= locked_until,
                "the job was taken before its lease was over"
            );
            break;
        }
        polls += 1;
        assert!(polls < 100, "the job never became claimable again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(polls > 0, "the first poll came before the lease was over");
    assert_eq!(started(log), vec![7, 7]);
    assert_eq!(finished(log), vec![7]);
    assert_succeeded(&app, id).await;
}

// --- c. notifications are sent at most once --------------------------------------------------

/// `confirmed` confirmed subscribers `reader{i}@example.org` and two unconfirmed ones.
async fn seed_subscribers(app: &TestApp, confirmed: usize) -> Vec<subscriber::Model> {
    let readers = app.seed_subscribers("reader", confirmed, true).await;
    app.seed_subscribers("unconfirmed", 2, false).await;
    readers
}

/// A job context sending to `sink`, at `rate` emails per second (None: unlimited).
async fn smtp_context(app: &TestApp, sink: &SmtpSink, rate: Option<u32>) -> JobContext {
    JobContext {
        db: app.db().clone(),
        mailer: Mailer::connect(&sink.url(), "Folio <folio@example.org>")
            .await
            .unwrap(),
        base_url: "http://folio.test".into(),
        email_rate: Arc::new(RateLimiter::new(rate)),
        storage: app.state().storage.clone(),
        site: Arc::default(),
        site_changed: folio_jobs::SiteChanged::default(),
    }
}

/// How many messages the sink received for each recipient.
fn mails_per_recipient(sink: &SmtpSink) -> BTreeMap<String, usize> {
    let recipients: Vec<String> = sink.messages().iter().map(|raw| Mail::parse(raw).to).collect();
    tally(&recipients)
}

async fn deliveries_of(app: &TestApp, item_id: i64) -> Vec<delivery::Model> {
    delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(item_id))
        .order_by_asc(delivery::Column::Id)
        .all(app.db())
        .await
        .unwrap()
}

/// Runs due jobs until every job has succeeded (waiting out leases and backoffs), up to
/// `limit`.
async fn run_until_empty(app: &TestApp, worker: &Worker, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        worker.drain().await.unwrap();
        if app.pending_jobs().await == 0 && app.failed_jobs().await == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs left: {:?}",
            job::Entity::find()
                .filter(job::Column::State.ne(job::SUCCEEDED))
                .all(app.db())
                .await
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A worker dies in the middle of a notification batch: it had sent three emails, handed a
/// fourth to the server without recording `sent`, and taken a fifth without sending it. The
/// fan-out is also run again (as after a crash between its commit and its row's deletion).
/// An item published and then deleted, or unpublished, before its fan-out ran: the fan-out
/// adds no delivery and is done at once. (It used to break the deliveries' foreign key and
/// retry eight times for an item that no longer existed.)
async fn a_fan_out_for_an_item_deleted_or_unpublished_since_is_done_with_nothing_to_send(app: TestApp) {
    let sink = SmtpSink::start().await;
    let worker = worker_with(smtp_context(&app, &sink, None).await, quick());
    let category = app.seed_category("Gone").await;
    let deleted = app.seed_item(&category, "Deleted since", true).await;
    let unpublished = app.seed_item(&category, "Unpublished since", true).await;
    seed_subscribers(&app, 5).await;
    for item in [&deleted, &unpublished] {
        enqueue(app.db(), &NotifySubscribers { item_id: item.id })
            .await
            .unwrap();
    }
    folio_db::entities::item::Entity::delete_by_id(deleted.id)
        .exec(app.db())
        .await
        .unwrap();
    let mut draft: folio_db::entities::item::ActiveModel = unpublished.clone().into();
    draft.status = sea_orm::Set(folio_db::entities::item::DRAFT.to_owned());
    sea_orm::ActiveModelTrait::update(draft, app.db()).await.unwrap();

    assert_eq!(worker.drain().await.unwrap(), 2, "both fan-outs ran once");
    assert_eq!(app.pending_jobs().await, 0, "done, not waiting for a retry");
    assert_eq!(app.job_counts().await.succeeded, 2, "done, not failed");
    assert_eq!(app.count("deliveries").await, 0);
    assert!(sink.messages().is_empty());
}

/// Afterwards every confirmed subscriber got at most one email, the two deliveries left
/// `sending` are not sent again, and the fan-out added no second delivery for anyone.
async fn a_notification_retried_after_a_crash_emails_nobody_twice(app: TestApp) {
    let sink = SmtpSink::start().await;
    let ctx = smtp_context(&app, &sink, None).await;
    let worker = worker_with(ctx.clone(), quick());
    let category = app.seed_category("Crash course").await;
    let item = app.seed_item(&category, "After the crash", true).await;
    let readers = seed_subscribers(&app, 10).await;
    let fan_out = NotifySubscribers { item_id: item.id };

    // The fan-out: ten pending deliveries (unconfirmed subscribers get none), one batch job.
    enqueue(app.db(), &fan_out).await.unwrap();
    let claimed = queue::claim(app.db(), "fan-out", 1, lease(5)).await.unwrap();
    assert_eq!(claimed[0].kind, NotifySubscribers::KIND);
    let outcome = worker
        .run_job("fan-out", claimed.into_iter().next().unwrap(), never())
        .await;
    assert_eq!(outcome, Outcome::Done);
    let deliveries = deliveries_of(&app, item.id).await;
    assert_eq!(deliveries.len(), 10);
    assert!(deliveries.iter().all(|d| d.state == delivery::PENDING));

    // The batch job is claimed by a worker that then does what SendNotifications does for
    // the first five deliveries, and dies.
    let batch = queue::claim(app.db(), "doomed", 1, lease(1)).await.unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].kind, "send_notifications");
    let email_to = |reader: &subscriber::Model| Email {
        to: reader.email.clone(),
        subject: format!("New on Folio: {}", item.title),
        text: "text".into(),
        html: "<p>html</p>".into(),
        list_unsubscribe: None,
        reply_to: None,
    };
    use folio_db::queries::deliveries as dq;
    for (delivery, reader) in deliveries.iter().zip(&readers).take(3) {
        assert!(dq::start_sending(app.db(), delivery.id).await.unwrap());
        ctx.mailer.send(&email_to(reader)).await.unwrap();
        assert!(dq::mark_sent(app.db(), delivery.id).await.unwrap());
    }
    // Fourth: accepted by the server, the crash came before `sent` was recorded.
    assert!(dq::start_sending(app.db(), deliveries[3].id).await.unwrap());
    ctx.mailer.send(&email_to(&readers[3])).await.unwrap();
    // Fifth: taken, the crash came before the send.
    assert!(dq::start_sending(app.db(), deliveries[4].id).await.unwrap());
    assert_eq!(sink.messages().len(), 4);

    // The fan-out runs again while the dead worker's lease still holds: it adds nothing and
    // enqueues a batch for what is still pending, which another worker sends.
    enqueue(app.db(), &fan_out).await.unwrap();
    assert_eq!(worker.drain().await.unwrap(), 2, "the fan-out and its new batch");
    assert_eq!(deliveries_of(&app, item.id).await.len(), 10, "no new deliveries");
    assert_eq!(
        app.pending_jobs().await,
        1,
        "only the dead worker's batch is left"
    );

    // The dead worker's batch runs again after its lease: nothing is left for it to send.
    sleep_past(batch[0].locked_until.unwrap()).await;
    run_until_empty(&app, &worker, Duration::from_secs(10)).await;
    // And one more fan-out, for good measure, changes nothing.
    enqueue(app.db(), &fan_out).await.unwrap();
    run_until_empty(&app, &worker, Duration::from_secs(10)).await;

    let mails = mails_per_recipient(&sink);
    for (i, reader) in readers.iter().enumerate() {
        let expected = usize::from(i != 4); // the fifth email was lost in the crash: at most once
        assert_eq!(
            mails.get(&reader.email).copied().unwrap_or(0),
            expected,
            "{}",
            reader.email
        );
    }
    assert_eq!(
        mails.values().sum::<usize>(),
        9,
        "no one else was mailed: {mails:?}"
    );
    let deliveries = deliveries_of(&app, item.id).await;
    assert_eq!(deliveries.len(), 10);
    let states: Vec<&str> = deliveries.iter().map(|d| d.state.as_str()).collect();
    let mut expected = vec![delivery::SENT; 10];
    expected[3] = delivery::SENDING;
    expected[4] = delivery::SENDING;
    assert_eq!(states, expected, "deliveries left sending by the crash stay so");
}

/// The real thing: a worker sending a throttled batch (20 emails at 40/s) is aborted a few
/// emails in, wherever it happens to be; another worker finishes the work. Whatever the
/// moment of the kill, nobody gets two emails, every `sent` delivery got exactly one, and at
/// most the deliveries in flight at the kill (`SENDS_IN_FLIGHT`) are left `sending`.
async fn a_notification_worker_killed_mid_batch_emails_nobody_twice(app: TestApp) {
    let sink = SmtpSink::start().await;
    let category = app.seed_category("Kill switch").await;
    let item = app.seed_item(&category, "Killed mid batch", true).await;
    let readers = seed_subscribers(&app, 20).await;
    enqueue(app.db(), &NotifySubscribers { item_id: item.id })
        .await
        .unwrap();

    let (_stop, stopping) = watch::channel(false);
    let throttled = worker_with(smtp_context(&app, &sink, Some(40)).await, quick());
    let doomed = tokio::spawn(throttled.run(stopping));
    wait_until("a few emails went out", Duration::from_secs(20), || {
        sink.messages().len() >= 5
    })
    .await;
    doomed.abort();
    assert!(doomed.await.unwrap_err().is_cancelled());
    let at_kill = sink.messages().len();
    assert!(
        at_kill < 20,
        "the kill came too late to test anything ({at_kill} sent)"
    );

    let survivor = worker_with(smtp_context(&app, &sink, None).await, quick());
    run_until_empty(&app, &survivor, Duration::from_secs(20)).await;

    let mails = mails_per_recipient(&sink);
    let twice: Vec<_> = mails.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "emailed twice: {twice:?}");
    let deliveries = deliveries_of(&app, item.id).await;
    assert_eq!(deliveries.len(), 20, "one delivery per confirmed subscriber");
    let email_of: HashMap<i64, &str> = readers.iter().map(|r| (r.id, r.email.as_str())).collect();
    let mut sending = 0;
    for delivery in &deliveries {
        let email = email_of[&delivery.subscriber_id.expect("a subscriber")];
        let got = mails.get(email).copied().unwrap_or(0);
        match delivery.state.as_str() {
            delivery::SENT => assert_eq!(got, 1, "{email} is marked sent"),
            delivery::SENDING => sending += 1, // the kill's victim: mailed or not, never again
            other => panic!("delivery to {email} ended {other}"),
        }
    }
    assert!(
        sending <= SENDS_IN_FLIGHT,
        "{sending} deliveries left sending by one kill"
    );
    assert!(
        mails.len() >= 20 - sending,
        "only the kill's victims may be lost: {mails:?}"
    );
    assert!(mails.keys().all(|to| to.starts_with("reader")), "{mails:?}");
}

// --- d. backoff, failure, retry ---------------------------------------------------------------

/// A probe fails on every attempt: its `run_at` moves by 300 ms, then 600 ms; after its third
/// (last) attempt it is kept as `failed` with the last error. Retried once the cause is gone,
/// it runs and succeeds.
async fn a_failing_job_backs_off_ends_failed_and_can_be_retried(app: TestApp) {
    let log = new_log();
    with_log(log, |l| l.broken = true);
    let base = chrono::Duration::milliseconds(300);
    let worker = worker(&app, quick());
    let id = enqueue(app.db(), &Probe::new(log, 3)).await.unwrap();

    for attempt in 1..=2 {
        let before = Utc::now();
        assert_eq!(worker.drain().await.unwrap(), 1, "attempt {attempt} runs");
        let after = Utc::now();
        let row = job_row(&app, id).await;
        assert_eq!(row.state, job::QUEUED);
        assert_eq!(row.attempts, attempt);
        assert_eq!(
            row.last_error.as_deref(),
            Some(format!("probe 3 broken on attempt {attempt}").as_str())
        );
        assert_eq!(row.locked_by, None);
        assert_eq!(row.locked_until, None);
        let delay = base * 2i32.pow(u32::try_from(attempt).unwrap() - 1);
        let tolerance = chrono::Duration::milliseconds(1); // timestamp rounding per backend
        assert!(
            row.run_at >= before + delay - tolerance && row.run_at <= after + delay + tolerance,
            "attempt {attempt}: run_at {} not {delay} after [{before}, {after}]",
            row.run_at
        );
        // Not before its time.
        assert_eq!(worker.drain().await.unwrap(), 0, "attempt {attempt}: backing off");
        sleep_past(row.run_at).await;
    }

    assert_eq!(worker.drain().await.unwrap(), 1, "the last attempt runs");
    let row = job_row(&app, id).await;
    assert_eq!(row.state, job::FAILED);
    assert_eq!(row.attempts, 3);
    assert_eq!(row.last_error.as_deref(), Some("probe 3 broken on attempt 3"));
    assert_eq!(row.locked_by, None);
    assert_eq!(
        worker.drain().await.unwrap(),
        0,
        "a failed job is not run again by itself"
    );
    assert!(
        queue::claim(app.db(), "any", 10, lease(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(started(log), vec![3, 3, 3]);
    assert!(finished(log).is_empty());

    // The cause is fixed and staff retry it.
    with_log(log, |l| l.broken = false);
    assert!(queue::retry(app.db(), id).await.unwrap());
    assert!(
        !queue::retry(app.db(), id).await.unwrap(),
        "only a failed job can be retried"
    );
    let row = job_row(&app, id).await;
    assert_eq!((row.state.as_str(), row.attempts), (job::QUEUED, 0));
    assert_eq!(worker.drain().await.unwrap(), 1);
    assert_eq!(finished(log), vec![3]);
    let row = job_row(&app, id).await;
    assert_eq!(row.state, job::SUCCEEDED, "done, and kept");
    assert_eq!(
        row.last_error.as_deref(),
        Some("probe 3 broken on attempt 3"),
        "the earlier attempts' error stays beside the success"
    );
    assert!(
        !queue::retry(app.db(), id).await.unwrap(),
        "a succeeded job can't be retried"
    );
}

/// An unreadable payload and an unknown kind fail permanently on their first attempt.
async fn a_job_that_can_never_succeed_fails_at_once(app: TestApp) {
    let worker = worker(&app, quick());
    let garbled = queue::enqueue(app.db(), Probe::KIND, "not json", 8, Utc::now())
        .await
        .unwrap();
    let unknown = queue::enqueue(app.db(), "no_such_kind", "{}", 8, Utc::now())
        .await
        .unwrap();
    assert_eq!(worker.drain().await.unwrap(), 2);
    for (id, error) in [
        (garbled, "unreadable payload"),
        (unknown, "no handler for job kind \"no_such_kind\""),
    ] {
        let row = job_row(&app, id).await;
        assert_eq!((row.state.as_str(), row.attempts), (job::FAILED, 1));
        let last_error = row.last_error.unwrap_or_default();
        assert!(last_error.contains(error), "{last_error}");
    }
}

// --- e. the outbox follows its transaction ---------------------------------------------------

/// A job enqueued in a transaction that rolls back never exists, so never runs; one enqueued
/// in a committed transaction runs; and (on the servers, where a reader needn't wait for the
/// writer) no worker can see a job before its transaction commits.
async fn a_job_enqueued_in_a_rolled_back_transaction_never_runs(app: TestApp) {
    let log = new_log();
    let worker = worker(&app, quick());

    let txn = app.db().begin().await.unwrap();
    enqueue(&txn, &Probe::new(log, 1)).await.unwrap();
    txn.rollback().await.unwrap();

    let txn = app.db().begin().await.unwrap();
    enqueue(&txn, &Probe::new(log, 2)).await.unwrap();
    if app.backend() != Backend::Sqlite {
        // SQLite's single writer lock would make the claim wait for the commit instead.
        assert!(
            queue::claim(app.db(), "eager", 10, lease(1))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(worker.drain().await.unwrap(), 0, "not visible before the commit");
    }
    txn.commit().await.unwrap();

    // Dropping a transaction without committing rolls it back too.
    {
        let txn = app.db().begin().await.unwrap();
        enqueue(&txn, &Probe::new(log, 3)).await.unwrap();
    }

    assert_eq!(worker.drain().await.unwrap(), 1);
    assert_eq!(started(log), vec![2], "only the committed job ran");
    assert_eq!(app.count("jobs").await, 1, "the rolled-back jobs never existed");
    assert_eq!(app.job_counts().await.succeeded, 1);
}

// --- f. graceful shutdown ---------------------------------------------------------------------

/// Asked to stop, a worker lets a job that ends within the grace (300 ms) finish, and gives
/// back one that doesn't: queued again, its attempt not counted, claimable at once.
async fn shutdown_finishes_a_short_job_and_releases_a_long_one(app: TestApp) {
    let log = new_log();
    let short = Probe {
        sleep_ms: 150,
        ..Probe::new(log, 1)
    };
    let short_id = enqueue(app.db(), &short).await.unwrap();
    let (stop, stopping) = watch::channel(false);
    let running = tokio::spawn(worker(&app, quick()).run(stopping));
    wait_until("the short job started", Duration::from_secs(10), || {
        started(log) == vec![1]
    })
    .await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the worker stops")
        .unwrap();
    assert_eq!(finished(log), vec![1], "the short job finished");
    assert_succeeded(&app, short_id).await;

    let long = Probe {
        sleep_ms: 30_000,
        ..Probe::new(log, 2)
    };
    let long_id = enqueue(app.db(), &long).await.unwrap();
    let (stop, stopping) = watch::channel(false);
    let running = tokio::spawn(worker(&app, quick()).run(stopping));
    wait_until("the long job started", Duration::from_secs(10), || {
        started(log).contains(&2)
    })
    .await;
    let asked = tokio::time::Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the worker stops after the grace")
        .unwrap();
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_millis(300),
        "stopped before the grace: {took:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "stopped long after the grace: {took:?}"
    );
    assert_eq!(finished(log), vec![1], "the long job did not finish");
    let row = job_row(&app, long_id).await;
    assert_eq!(row.state, job::QUEUED);
    assert_eq!(row.attempts, 0, "a released job keeps its attempts");
    assert_eq!((row.locked_by, row.locked_until), (None, None));
    let next = queue::claim(app.db(), "next", 1, lease(1)).await.unwrap();
    assert_eq!(next.len(), 1, "claimable at once");
    assert_eq!((next[0].id, next[0].attempts), (long_id, 1));
}

// --- the depth the worker reports --------------------------------------------------------------

/// What the worker logs once a minute for the queue-depth metric: jobs per state.
async fn the_queue_depth_counts_jobs_in_each_state(app: TestApp) {
    assert_eq!(QueueDepth::read(app.db()).await.unwrap(), QueueDepth::default());
    let log = new_log();
    for n in 0..5 {
        enqueue(app.db(), &Probe::new(log, n)).await.unwrap();
    }
    let claimed = queue::claim(app.db(), "w", 3, lease(60)).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        queue::fail(app.db(), claimed[0].id, "w", "broken", None)
            .await
            .unwrap()
    );
    assert!(queue::complete(app.db(), claimed[1].id, "w").await.unwrap());
    let depth = QueueDepth::read(app.db()).await.unwrap();
    assert_eq!(
        depth,
        QueueDepth {
            queued: 2,
            running: 1,
            failed: 1,
            succeeded: 1,
        }
    );
}

/// What the metrics sample besides the depth: the run time of the longest-waiting due job
/// (neither a job scheduled for later nor a running one), and the pool's occupancy.
async fn the_metrics_read_the_oldest_due_job_and_the_pool(app: TestApp) {
    let now = Utc::now();
    let at = |minutes: i64| now + chrono::Duration::minutes(minutes);
    queue::enqueue(app.db(), "probe", "{}", 3, at(60)).await.unwrap();
    assert_eq!(
        queue::oldest_due_run_at(app.db(), now).await.unwrap(),
        None,
        "not due yet"
    );
    let oldest = queue::enqueue(app.db(), "probe", "{}", 3, at(-120))
        .await
        .unwrap();
    queue::enqueue(app.db(), "probe", "{}", 3, at(-60)).await.unwrap();
    queue::enqueue(app.db(), "probe", "{}", 3, at(-5)).await.unwrap();
    let claimed = queue::claim(app.db(), "w", 1, lease(60)).await.unwrap();
    assert_eq!(claimed[0].id, oldest, "the claim takes the longest-waiting job");
    let waiting_since = queue::oldest_due_run_at(app.db(), now).await.unwrap().unwrap();
    let off_by = (waiting_since - at(-60)).num_milliseconds().abs();
    assert!(off_by < 1000, "{waiting_since} is not an hour ago");

    let pool = folio_db::pool_stats(app.db()).expect("an sqlx pool");
    let expected_max = if app.backend() == Backend::Sqlite { 4 } else { 5 };
    assert_eq!(pool.max, expected_max, "{pool:?}");
    assert!(
        pool.in_use + pool.idle >= 1 && pool.in_use + pool.idle <= pool.max,
        "{pool:?}"
    );
}

// --- finished jobs are kept, then pruned --------------------------------------------------------

/// A job that succeeds stays in the table as `succeeded` (for the admin's job list), with its
/// lease cleared and its finish in `updated_at`, and no worker or claim runs it again.
async fn a_finished_job_stays_as_succeeded_and_never_runs_again(app: TestApp) {
    let log = new_log();
    let worker = worker(&app, quick());
    let id = enqueue(app.db(), &Probe::new(log, 5)).await.unwrap();
    let before = Utc::now();
    assert_eq!(worker.drain().await.unwrap(), 1);
    let after = Utc::now();
    assert_succeeded(&app, id).await;
    let row = job_row(&app, id).await;
    let tolerance = chrono::Duration::milliseconds(1); // timestamp rounding per backend
    assert!(
        row.updated_at >= before - tolerance && row.updated_at <= after + tolerance,
        "finished at {}, not within [{before}, {after}]",
        row.updated_at
    );
    assert_eq!((row.attempts, row.last_error.as_deref()), (1, None));

    assert_eq!(worker.drain().await.unwrap(), 0, "not run again");
    assert!(
        queue::claim(app.db(), "any", 10, lease(1))
            .await
            .unwrap()
            .is_empty()
    );
    // Nor by a running worker, given time to poll a few times.
    let (stop, stopping) = watch::channel(false);
    let running = tokio::spawn(worker.clone().run(stopping));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(started(log), vec![5], "ran once");
    assert_eq!(app.pending_jobs().await, 0);
    assert_eq!(job_row(&app, id).await, row, "the row is left as it was");
}

/// Moves a job's `run_at` and `updated_at` back by `age`, as if it had been due and had
/// finished that long ago.
async fn age_job(app: &TestApp, id: i64, run_at_age: chrono::Duration, updated_age: chrono::Duration) {
    use sea_orm::sea_query::Expr;
    let now = Utc::now();
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(now - run_at_age))
        .col_expr(job::Column::UpdatedAt, Expr::value(now - updated_age))
        .filter(job::Column::Id.eq(id))
        .exec(app.db())
        .await
        .unwrap();
}

/// A succeeded job is pruned once it finished longer ago than the worker's `keep_succeeded`
/// (24 h by default); a recent one, one due long ago that finished recently, and failed, queued
/// and running jobs of any age stay. Pruning again deletes nothing.
async fn the_prune_removes_only_succeeded_jobs_older_than_the_retention(app: TestApp) {
    let log = new_log();
    let day = chrono::Duration::hours(24);
    let two_days = chrono::Duration::hours(48);
    let daily = worker(&app, quick()); // the default retention, 24 h
    assert_eq!(
        WorkerOptions::default().keep_succeeded,
        Duration::from_secs(24 * 3600)
    );
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(enqueue(app.db(), &Probe::new(log, n)).await.unwrap());
    }
    assert_eq!(daily.drain().await.unwrap(), 6);
    let [old_a, old_b, recent, late_finish, failed, just_over] = ids[..] else {
        unreachable!()
    };
    for id in [old_a, old_b] {
        age_job(&app, id, two_days, two_days).await;
    }
    // Due two days ago (a backlog), finished an hour ago: kept, its finish is what counts.
    age_job(&app, late_finish, two_days, chrono::Duration::hours(1)).await;
    age_job(
        &app,
        just_over,
        day + chrono::Duration::minutes(1),
        day + chrono::Duration::seconds(5),
    )
    .await;
    // A job failed two days ago: staff act on it, the prune leaves it.
    job::Entity::update_many()
        .col_expr(job::Column::State, sea_orm::sea_query::Expr::value(job::FAILED))
        .filter(job::Column::Id.eq(failed))
        .exec(app.db())
        .await
        .unwrap();
    age_job(&app, failed, two_days, two_days).await;
    // Old pending work, queued and running, is no prune's business either.
    let queued = queue::enqueue(app.db(), Probe::KIND, "{}", 3, Utc::now() - two_days)
        .await
        .unwrap();
    let running = queue::enqueue(app.db(), Probe::KIND, "{}", 3, Utc::now() - two_days)
        .await
        .unwrap();
    let claimed = queue::claim(app.db(), "w", 2, lease(60)).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(queue::release(app.db(), queued, "w").await.unwrap());
    age_job(&app, queued, two_days, two_days).await;
    age_job(&app, running, two_days, two_days).await;

    let before = app.count("jobs").await;
    assert_eq!(daily.prune_succeeded().await.unwrap(), 3);
    assert_eq!(app.count("jobs").await, before - 3);
    for gone in [old_a, old_b, just_over] {
        assert!(
            queue::find(app.db(), gone).await.unwrap().is_none(),
            "job {gone} pruned"
        );
    }
    for kept in [recent, late_finish] {
        assert_eq!(job_row(&app, kept).await.state, job::SUCCEEDED, "job {kept} kept");
    }
    assert_eq!(job_row(&app, failed).await.state, job::FAILED);
    assert_eq!(job_row(&app, queued).await.state, job::QUEUED);
    assert_eq!(job_row(&app, running).await.state, job::RUNNING);
    assert_eq!(daily.prune_succeeded().await.unwrap(), 0, "idempotent");

    // With no retention every succeeded job goes, a batch at a time, and still nothing else.
    let eager = worker(
        &app,
        WorkerOptions {
            keep_succeeded: Duration::ZERO,
            ..quick()
        },
    );
    assert_eq!(
        queue::prune_succeeded(app.db(), Utc::now(), 1).await.unwrap(),
        1,
        "one batch of one"
    );
    assert_eq!(eager.prune_succeeded().await.unwrap(), 1);
    let left = app.job_counts().await;
    assert_eq!(left.succeeded, 0);
    assert_eq!((left.failed, left.queued, left.running), (1, 1, 1));
}

/// The prune needs no scheduler: every running worker does it, first as it starts and then
/// once a minute, beside its queue-depth line.
async fn a_running_worker_prunes_old_succeeded_jobs(app: TestApp) {
    let log = new_log();
    let old = enqueue(app.db(), &Probe::new(log, 1)).await.unwrap();
    let fresh = enqueue(app.db(), &Probe::new(log, 2)).await.unwrap();
    let worker = worker(&app, quick());
    assert_eq!(worker.drain().await.unwrap(), 2);
    let two_days = chrono::Duration::hours(48);
    age_job(&app, old, two_days, two_days).await;

    let (stop, stopping) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopping));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while queue::find(app.db(), old).await.unwrap().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never pruned the old job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(job_row(&app, fresh).await.state, job::SUCCEEDED);
}

/// Pruning with no retention (so every completion is at once prunable) while three workers
/// run 150 probes: on every backend, and above all InnoDB with its gap locks and deadlock
/// victims, each probe runs exactly once, no prune fails, and nothing but succeeded rows goes.
async fn pruning_beside_busy_workers_loses_nothing_and_never_fails(app: TestApp) {
    let log = new_log();
    let total = 150;
    for n in 0..total {
        enqueue(app.db(), &Probe::new(log, n)).await.unwrap();
    }
    let (stop, stopping) = watch::channel(false);
    let options = WorkerOptions {
        concurrency: 2,
        lease: Duration::from_secs(30),
        ..quick()
    };
    // The running workers keep the default day (their own prune, as they start, finds
    // nothing), so every prune counted here is one of the pruners'.
    let workers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(worker(&app, options.clone()).run(stopping.clone())))
        .collect();
    let eager = WorkerOptions {
        keep_succeeded: Duration::ZERO,
        ..options
    };
    let pruners: Vec<_> = (0..3)
        .map(|_| {
            let pruner = worker(&app, eager.clone());
            let stopping = stopping.clone();
            tokio::spawn(async move {
                let mut pruned = 0;
                while !*stopping.borrow() {
                    pruned += pruner.prune_succeeded().await.expect("a prune never fails");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                pruned
            })
        })
        .collect();
    wait_until("every probe finished", Duration::from_secs(60), || {
        finished(log).len() >= total as usize
    })
    .await;
    stop.send(true).unwrap();
    for worker in workers {
        tokio::time::timeout(Duration::from_secs(10), worker)
            .await
            .expect("workers stop")
            .unwrap();
    }
    let mut pruned = 0;
    for pruner in pruners {
        pruned += pruner.await.unwrap();
    }
    pruned += worker(&app, eager).prune_succeeded().await.unwrap();
    let expected: Vec<u32> = (0..total).collect();
    let mut runs = started(log);
    runs.sort_unstable();
    assert_eq!(runs, expected, "each probe started exactly once");
    assert_eq!(pruned, u64::from(total), "each succeeded job pruned once");
    assert_eq!(app.count("jobs").await, 0);
}
