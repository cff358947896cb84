//! The notification benchmark: publish one item to N confirmed subscribers and time the job
//! system until every email has reached an SMTP sink, then count duplicates and losses.
//!
//! Run it through `bench/jobs.sh`, which builds it in release mode and points it at PostgreSQL.
//! It uses the test harness's fresh-database machinery (`FOLIO_TEST_POSTGRES_URL`), the real
//! fan-out and send jobs, the real SMTP transport, and the in-memory SMTP sink of the tests,
//! which answers like a plain mail server (ordinary TCP, delayed ACKs included).
//!
//! Settings (environment): `BENCH_SUBSCRIBERS` (10000), `BENCH_WORKERS` (4, worker loops),
//! `BENCH_DB_CONNECTIONS` (4, the production default pool), `BENCH_TIMEOUT` (300 s).
//! Exits non-zero when an email is duplicated or lost, or the run times out.

// A benchmark driver: a failed setup step should stop it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use folio_db::entities::{delivery, job};
use folio_jobs::jobs::NotifySubscribers;
use folio_jobs::{JobContext, Mailer, RateLimiter, Registry, Worker, WorkerOptions, enqueue};
use folio_testkit::{Backend, Mail, SmtpSink, TestApp, bench_setting};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use tokio::sync::watch;

#[tokio::main]
async fn main() {
    let subscribers = bench_setting("BENCH_SUBSCRIBERS", 10_000) as usize;
    let workers = bench_setting("BENCH_WORKERS", 4) as usize;
    let connections = bench_setting("BENCH_DB_CONNECTIONS", 4) as u32;
    let timeout = Duration::from_secs(bench_setting("BENCH_TIMEOUT", 300));

    let app = TestApp::spawn_with(Backend::Postgres, |config| {
        config.database_max_connections = connections;
    })
    .await
    .expect("FOLIO_TEST_POSTGRES_URL must point at a PostgreSQL server");
    let sink = SmtpSink::start().await;
    app.seed_subscribers("reader", subscribers, true).await;
    let category = app.seed_category("Bench").await;
    let item = app.seed_item(&category, "Ten thousand readers", true).await;

    let ctx = JobContext {
        db: app.db().clone(),
        mailer: Mailer::connect(&sink.url(), "Folio <folio@example.org>")
            .await
            .unwrap(),
        base_url: "http://folio.bench".into(),
        email_rate: Arc::new(RateLimiter::new(None)),
        storage: app.state().storage.clone(),
        site: Arc::default(),
        site_changed: folio_jobs::SiteChanged::default(),
    };
    let options = WorkerOptions {
        concurrency: workers,
        ..WorkerOptions::default()
    };
    let worker = Worker::new(ctx, Registry::standard(), options);
    let (stop, stopping) = watch::channel(false);

    println!("subscribers: {subscribers}, worker loops: {workers}, database connections: {connections}");
    let started = Instant::now();
    // Publishing enqueues the fan-out in the same transaction as the change (as the admin does).
    let txn = app.db().begin().await.unwrap();
    enqueue(&txn, &NotifySubscribers { item_id: item.id })
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let running = tokio::spawn(worker.run(stopping));

    let finished = wait_for_empty_queue(&app, &sink, subscribers, started, timeout).await;
    let elapsed = started.elapsed();
    stop.send(true).unwrap();
    running.await.unwrap();

    let report = count(&app, &sink, subscribers, item.id).await;
    let seconds = elapsed.as_secs_f64();
    println!(
        "time: {seconds:.1} s ({:.0} emails/s)",
        report.received as f64 / seconds
    );
    println!(
        "received: {}, duplicates: {}, lost: {}, deliveries sent: {}, failed: {}, other: {}",
        report.received, report.duplicates, report.lost, report.sent, report.failed, report.other
    );
    app.finish().await;
    if !finished {
        eprintln!("FAILED: the queue was not empty after {} s", timeout.as_secs());
        std::process::exit(1);
    }
    if report.duplicates > 0 || report.lost > 0 {
        eprintln!("FAILED: duplicates or losses");
        std::process::exit(1);
    }
}

/// Waits until every job has succeeded (the fan-out and every batch have finished; succeeded
/// jobs stay in the table until a worker prunes them), printing progress every 5 s. False on
/// timeout.
async fn wait_for_empty_queue(
    app: &TestApp,
    sink: &SmtpSink,
    subscribers: usize,
    started: Instant,
    timeout: Duration,
) -> bool {
    let mut last_report = Instant::now();
    loop {
        let jobs_left = job::Entity::find()
            .filter(job::Column::State.ne(job::SUCCEEDED))
            .count(app.db())
            .await
            .unwrap();
        if jobs_left == 0 {
            return true;
        }
        if started.elapsed() > timeout {
            return false;
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            println!(
                "  {:>5.1} s: {} of {subscribers} received, {jobs_left} jobs left",
                started.elapsed().as_secs_f64(),
                sink.count()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Report {
    received: usize,
    duplicates: usize,
    lost: usize,
    sent: u64,
    failed: u64,
    other: u64,
}

/// Duplicates and losses are counted from what the sink received, per recipient; the
/// delivery states are read back to show that the bookkeeping agrees.
async fn count(app: &TestApp, sink: &SmtpSink, subscribers: usize, item_id: i64) -> Report {
    let messages = sink.messages();
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for raw in &messages {
        *per_recipient.entry(Mail::parse(raw).to).or_default() += 1;
    }
    let duplicates = per_recipient.values().map(|n| n - 1).sum();
    let lost = (0..subscribers)
        .filter(|i| !per_recipient.contains_key(&format!("reader{i}@example.org")))
        .count();
    let in_state = |state: &'static str| {
        delivery::Entity::find()
            .filter(delivery::Column::ItemId.eq(item_id))
            .filter(delivery::Column::State.eq(state))
            .count(app.db())
    };
    let sent = in_state(delivery::SENT).await.unwrap();
    let failed = in_state(delivery::FAILED).await.unwrap();
    let all = delivery::Entity::find()
        .filter(delivery::Column::ItemId.eq(item_id))
        .count(app.db())
        .await
        .unwrap();
    Report {
        received: messages.len(),
        duplicates,
        lost,
        sent,
        failed,
        other: all - sent - failed,
    }
}
