//! The metrics listener's content after a known sequence of requests, jobs and emails.
//!
//! A test binary of its own with a single test: the recorder is global to the process, so
//! any other app started here would add to the counts this test checks exactly.

// Test code: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_db::queries::email_suppressions::{self, Reason};
use folio_testkit::{Backend, TestApp};

/// A port nobody listens on now (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the sample of `name` whose labels include all of `labels`, if exactly one
/// line matches (a histogram's `_bucket` lines are told apart by their `le` label).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    let mut found = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_text) = series.split_once('{').unwrap_or((series, "}"));
            let label_text = label_text.strip_suffix('}')?;
            let present: Vec<&str> = if label_text.is_empty() {
                Vec::new()
            } else {
                label_text.split(',').collect()
            };
            let matches = metric == name && wanted.iter().all(|label| present.contains(&label.as_str()));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        });
    let first = found.next();
    assert!(
        found.next().is_none(),
        "more than one {name} {labels:?} in\n{text}"
    );
    first
}

async fn scrape(port: u16) -> String {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_listener_counts_requests_jobs_and_emails() {
    let port = free_port();
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.metrics_listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await
    .expect("SQLite always runs");

    // Anonymous visits to one page: the route is counted by its template, and the page cache
    // misses once, then serves the other four.
    let anonymous = app.visitor();
    for _ in 0..5 {
        assert_eq!(anonymous.get("/site/").await.status, 200);
    }
    let text = scrape(port).await;
    let site = [("method", "GET"), ("route", "/site/"), ("status", "200")];
    assert_eq!(
        sample(&text, "folio_http_requests_total", &site),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "folio_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/site/")]
        ),
        Some(5.0),
        "rendered as a histogram: {text}"
    );
    assert_eq!(
        sample(
            &text,
            "folio_http_request_duration_seconds_bucket",
            &[("route", "/site/"), ("le", "+Inf")]
        ),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "folio_page_cache_total", &[("result", "miss")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "folio_page_cache_total", &[("result", "hit")]),
        Some(4.0)
    );

    // A path with a parameter is counted under its template; an unknown path (and /metrics
    // itself, which the public port does not serve) under `unmatched`, never the raw path.
    assert_eq!(anonymous.get("/site/items/no-such-category/").await.status, 404);
    // The public port's fallback only suggests the slashed path, which is not found either.
    let public = anonymous.get("/metrics").await;
    assert_eq!(public.status, 308, "never on the public port");
    assert_eq!(public.location(), Some("/metrics/"));
    assert_eq!(
        anonymous.get("/metrics/").await.status,
        404,
        "never on the public port"
    );
    assert_eq!(anonymous.get("/no-such-page-7f3a/").await.status, 404);
    let text = scrape(port).await;
    assert_eq!(
        sample(
            &text,
            "folio_http_requests_total",
            &[("route", "/site/items/{category}/"), ("status", "404")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "folio_http_requests_total",
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "folio_http_requests_total",
            &[("route", "unmatched"), ("status", "308")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains("no-such"),
        "raw paths must not become labels: {text}"
    );

    // A contact message to two staff members, one of them suppressed: one contact_received
    // job runs, one email is sent and one held back.
    for email in ["editor@example.org", "bounced@example.org"] {
        app.visitor().register(email).await;
        app.set_staff(email, true).await;
    }
    email_suppressions::suppress(app.db(), "bounced@example.org", Reason::Bounce, "test")
        .await
        .unwrap();
    app.visitor()
        .submit(
            "/site/contact/",
            &[
                ("name", "Ada"),
                ("email", "ada@example.org"),
                ("subject", "Hello"),
                ("message", "Counting."),
            ],
        )
        .await
        .assert_redirect("/site/contact/");
    assert_eq!(app.mails().await.len(), 1);
    let text = scrape(port).await;
    let done = [("kind", "contact_received"), ("outcome", "done")];
    assert_eq!(
        sample(&text, "folio_jobs_finished_total", &done),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "folio_job_duration_seconds_count", &done),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "folio_emails_total", &[("outcome", "sent")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "folio_emails_total", &[("outcome", "suppressed")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "folio_emails_total", &[("outcome", "failed")]),
        Some(0.0),
        "present from the start: {text}"
    );

    // Gauges: the pool is read at each scrape, the queue when the listener started.
    let max = sample(&text, "folio_db_pool_max_connections", &[]).expect("pool size");
    assert!(max >= 1.0, "{text}");
    let in_use = sample(&text, "folio_db_pool_connections", &[("state", "in_use")]).unwrap();
    let idle = sample(&text, "folio_db_pool_connections", &[("state", "idle")]).unwrap();
    assert!(in_use + idle <= max, "{text}");
    for state in ["queued", "running", "failed"] {
        assert!(
            sample(&text, "folio_jobs", &[("state", state)]).is_some(),
            "{state}: {text}"
        );
    }
    assert!(
        sample(&text, "folio_jobs_oldest_queued_age_seconds", &[]).is_some(),
        "{text}"
    );

    app.finish().await;
}
