//! The thumbnail benchmark: N uploaded 12-megapixel JPEGs, their renditions made by the real
//! worker (`make_renditions` jobs, `FOLIO_WORKER_CONCURRENCY`-style loops), timed from the
//! first claim to the last rendition stored; prints images/s and the process's peak RSS
//! during that phase.
//!
//! Run it through `bench/thumbnails.sh` (release build). Each image is stored and queued
//! exactly as an admin upload leaves it (cleaned original in storage, `images` row, job in the
//! same transaction), so the measured phase is the worker's alone.
//!
//! Settings (environment): `BENCH_IMAGES` (200), `BENCH_WORKERS` (2), `BENCH_WIDTH` ×
//! `BENCH_HEIGHT` (4000 × 3000), `BENCH_TIMEOUT` (900 s). Exits non-zero when an image lacks
//! its renditions at the end.

// A benchmark driver: a failed setup step should stop it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use folio_db::entities::image;
use folio_db::queries::images::{self, NewImage};
use folio_jobs::jobs::MakeRenditions;
use folio_jobs::{Worker, WorkerOptions, enqueue};
use folio_storage::images::{Limits, clean_upload};
use folio_storage::media::ImageObjects;
use folio_testkit::{Backend, TestApp, bench_setting, fixtures};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use tokio::sync::watch;

#[tokio::main]
async fn main() {
    let count = bench_setting("BENCH_IMAGES", 200) as usize;
    let workers = bench_setting("BENCH_WORKERS", 2) as usize;
    let width = bench_setting("BENCH_WIDTH", 4000) as u32;
    let height = bench_setting("BENCH_HEIGHT", 3000) as u32;
    let timeout = Duration::from_secs(bench_setting("BENCH_TIMEOUT", 900));

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let upload = fixtures::photo_jpeg(width, height);
    let clean = clean_upload(&upload, &Limits::default()).expect("the photo is a valid upload");
    println!(
        "images: {count} × {width}×{height} JPEG ({:.1} MB uploaded, {:.1} MB cleaned), worker loops: {workers}",
        upload.len() as f64 / 1e6,
        clean.bytes.len() as f64 / 1e6
    );
    drop(upload);
    seed(&app, Bytes::from(clean.bytes), clean.width, clean.height, count).await;

    let worker = Worker::new(
        app.worker_context(),
        folio_jobs::Registry::standard(),
        WorkerOptions {
            concurrency: workers,
            ..WorkerOptions::default()
        },
    );
    let (stop, stopping) = watch::channel(false);
    reset_peak_rss();
    let started = Instant::now();
    let running = tokio::spawn(worker.run(stopping));
    let finished = wait_until_ready(&app, count, started, timeout).await;
    let elapsed = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    stop.send(true).unwrap();
    running.await.unwrap();

    let ready = ready_count(&app).await;
    println!("time: {elapsed:.1} s, {:.2} images/s", ready as f64 / elapsed);
    println!("peak RSS while the worker ran: {peak}");
    println!(
        "renditions ready: {ready} of {count}, objects stored: {}",
        app.media_files().len()
    );
    app.finish().await;
    if !finished || ready != count as u64 {
        eprintln!("FAILED: not every image got its renditions");
        std::process::exit(1);
    }
}

/// Stores `count` copies of the cleaned original under fresh keys, each with its row and job
/// in one transaction, as an admin upload does.
async fn seed(app: &TestApp, original: Bytes, width: u32, height: u32, count: usize) {
    let storage = &app.state().storage;
    for _ in 0..count {
        let objects = ImageObjects::new_random();
        storage
            .put(&objects.original("jpg").unwrap(), original.clone(), "image/jpeg")
            .await
            .unwrap();
        let txn = app.db().begin().await.unwrap();
        let new = NewImage {
            key: objects.base().to_owned(),
            format: "jpg".into(),
            width,
            height,
            byte_size: original.len() as u64,
        };
        images::insert(&txn, &new).await.unwrap();
        enqueue(
            &txn,
            &MakeRenditions {
                image_key: new.key.clone(),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
    }
}

async fn ready_count(app: &TestApp) -> u64 {
    image::Entity::find()
        .filter(image::Column::RenditionsReady.eq(true))
        .count(app.db())
        .await
        .unwrap()
}

/// Waits until every image is ready, printing progress every 10 s. False on timeout.
async fn wait_until_ready(app: &TestApp, count: usize, started: Instant, timeout: Duration) -> bool {
    let mut last_report = Instant::now();
    loop {
        let ready = ready_count(app).await;
        if ready == count as u64 {
            return true;
        }
        if started.elapsed() > timeout {
            return false;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "  {:>5.0} s: {ready} ready, {}",
                started.elapsed().as_secs_f64(),
                peak_rss_mb()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the peak-RSS count afresh (Linux: writing 5 to clear_refs resets VmHWM), so the
/// figure covers the worker and not the generation of the test photo.
fn reset_peak_rss() {
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        println!("(could not reset the peak RSS: the figure includes the setup)");
    }
}

fn peak_rss_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "unknown".to_owned(),
            |kb| format!("{:.0} MB", kb as f64 / 1024.0),
        )
}
