//! The `folio` binary as an operator uses it: configuration errors, migrate, check, create-user.

// Test helpers may panic: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The binary in `dir` with `args` and `env` only: no FOLIO_* from the caller's environment,
/// JSON logs on stderr (piped).
fn folio_command(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
    command.current_dir(dir).args(args).stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("FOLIO_") {
            command.env_remove(key);
        }
    }
    command.env("FOLIO_LOG_FORMAT", "json").envs(env.iter().copied());
    command
}

fn folio(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = folio_command(dir, args, env);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_configuration_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let (long_name, long_description) = ("n".repeat(101), "d".repeat(301));
    for (variable, value) in [
        ("FOLIO_LISTEN", "not-an-address"),
        ("FOLIO_BASE_URL", "ftp://example.org"),
        ("FOLIO_DATABASE_URL", "oracle://db"),
        ("FOLIO_SECRET_KEY", "too-short"),
        ("FOLIO_EMAIL_URL", "carrier-pigeon://coop"),
        ("FOLIO_EMAIL_URL", "smtp://"),
        ("FOLIO_EMAIL_URL", "smtp://mail.example.org:notaport"),
        ("FOLIO_EMAIL_URL", "ses://"),
        (
            "FOLIO_EMAIL_URL",
            "ses://eu-central-1?configuration_set=not valid",
        ),
        ("FOLIO_DATABASE_URL", "postgres"),
        ("FOLIO_DATABASE_URL", "postgres://127.0.0.1:notaport/folio"),
        ("FOLIO_BASE_URL", "https://"),
        ("FOLIO_PRIVACY_MODE", "perhaps"),
        ("FOLIO_REQUEST_TIMEOUT_SECS", "0"),
        ("FOLIO_IDLE_TIMEOUT_SECS", "0"),
        ("FOLIO_HEADER_READ_TIMEOUT_SECS", "ten"),
        ("FOLIO_MAX_CONNECTIONS", "0"),
        ("FOLIO_QUOTA_NOTES", "-1"),
        ("FOLIO_QUOTA_SESSIONS", "0"),
        ("FOLIO_QUOTA_TEXT_MB", "99999999999999999"),
        ("FOLIO_WRITE_RATE_LIMIT", "0"),
        ("FOLIO_MAX_CONNECTIONS", "5000000000"),
        ("FOLIO_DRAIN_SECS", "-1"),
        ("FOLIO_DRAIN_SECS", "five"),
        ("FOLIO_LOG_FORMAT", "xml"),
        ("FOLIO_STORAGE_URL", "ftp://files.example.org/media"),
        ("FOLIO_STORAGE_URL", "s3://bucket/media?acl=public-read"),
        ("FOLIO_STORAGE_URL", "s3:///media"),
        ("FOLIO_MEDIA_BASE_URL", "javascript:alert(1)"),
        ("FOLIO_SITE_NAME", "   "),
        ("FOLIO_SITE_NAME", long_name.as_str()),
        ("FOLIO_SITE_NAME", "Two\nlines"),
        ("FOLIO_SITE_DESCRIPTION", long_description.as_str()),
        ("FOLIO_SITE_DESCRIPTION", "A\ttab"),
        ("FOLIO_METRICS_LISTEN", "9464"),
        ("FOLIO_METRICS_LISTEN", "metrics.internal:9464"),
        ("FOLIO_METRICS_LISTEN", "127.0.0.1:8000"),
    ] {
        let output = folio(dir.path(), &["check"], &[(variable, value)], "");
        assert_eq!(output.status.code(), Some(2), "{variable}");
        let stderr = text(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{variable}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {variable}")),
            "{variable}: {stderr}"
        );
    }
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = folio_command(dir.path(), &["check"], &[]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first line, as `folio check | head -n0` would.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn help_documents_every_variable() {
    let dir = tempfile::tempdir().unwrap();
    let help = text(&folio(dir.path(), &["--help"], &[], "").stdout);
    for variable in [
        "FOLIO_LISTEN",
        "FOLIO_BASE_URL",
        "FOLIO_DATABASE_URL",
        "FOLIO_SECRET_KEY",
        "FOLIO_EMAIL_URL",
        "FOLIO_EMAIL_FROM",
        "FOLIO_STORAGE_URL",
        "FOLIO_MEDIA_BASE_URL",
        "FOLIO_PRIVACY_MODE",
        "FOLIO_SITE_NAME",
        "FOLIO_SITE_DESCRIPTION",
        "FOLIO_LOG",
        "FOLIO_LOG_FORMAT",
        "FOLIO_METRICS_LISTEN",
    ] {
        assert!(help.contains(variable), "{variable} missing from --help");
    }
}

#[test]
fn embedded_default_checks_and_creates_users() {
    let dir = tempfile::tempdir().unwrap();
    let check = folio(dir.path(), &["check"], &[], "");
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("configuration: ok"));
    // The generated key is kept, readable only by its owner.
    let key = dir.path().join("data/secret.key");
    assert_eq!(std::fs::read_to_string(&key).unwrap().len(), 128);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let created = folio(
        dir.path(),
        &["admin", "create-user", "--email", "Admin@Example.org", "--staff"],
        &[],
        "a-strong-password\n",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created staff user admin@example.org"));

    let again = folio(
        dir.path(),
        &["admin", "create-user", "--email", "admin@example.org"],
        &[],
        "a-strong-password\n",
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));

    let weak = folio(
        dir.path(),
        &["admin", "create-user", "--email", "b@example.org"],
        &[],
        "short\n",
    );
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("too short"));
}

#[test]
fn postgres_needs_folio_migrate_before_serving() {
    let Some(admin_url) = std::env::var("FOLIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must set FOLIO_TEST_POSTGRES_URL"
        );
        eprintln!("SKIPPED: FOLIO_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("folio_cli_{}", std::process::id());
    let psql = |sql: &str| {
        let status = Command::new("psql")
            .args([admin_url.as_str(), "-qc", sql])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FOLIO_DATABASE_URL", url.as_str()),
        ("FOLIO_LISTEN", "127.0.0.1:0"),
    ];

    let serve = folio(dir.path(), &["serve"], &env, "");
    assert!(!serve.status.success());
    assert!(
        text(&serve.stderr).contains("run `folio migrate`"),
        "{}",
        text(&serve.stderr)
    );
    let check = folio(dir.path(), &["check"], &env, "");
    assert!(
        !check.status.success(),
        "check fails while migrations are pending"
    );

    let migrate = folio(dir.path(), &["migrate"], &env, "");
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let check = folio(dir.path(), &["check"], &env, "");
    assert!(check.status.success(), "{}", text(&check.stderr));
    let again = folio(dir.path(), &["migrate"], &env, "");
    assert!(text(&again.stdout).contains("applied 0 migration(s)"));
    psql(&format!("DROP DATABASE {name} WITH (FORCE)"));
}

/// A port nobody listens on now (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a long-running subcommand, waits for the log line saying it is up, sends SIGTERM
/// and returns its exit code and everything it logged.
fn run_until_terminated(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    ready: &str,
) -> (Option<i32>, String) {
    use std::io::BufRead;
    let mut command = folio_command(dir, args, env);
    command.stdin(Stdio::null()).stdout(Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains(ready) {
            break;
        }
    }
    // The signal handler is installed right after the ready line.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for line in lines {
        log.push_str(&line.unwrap());
        log.push('\n');
    }
    (child.wait().unwrap().code(), log)
}

/// The production mail URLs (SES over SMTP(S)) once made every subcommand abort with a panic:
/// the configuration check built lettre's connection pool before the Tokio runtime existed.
#[test]
fn every_subcommand_runs_with_smtp_and_smtps_urls() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sink = runtime.block_on(folio_testkit::SmtpSink::start());
    let smtp = sink.url();
    // Nothing listens there: only `check` contacts the mail server.
    let smtps = format!("smtps://user:secret-password@127.0.0.1:{}", free_port());
    for url in [smtp.as_str(), smtps.as_str()] {
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let env = [("FOLIO_EMAIL_URL", url), ("FOLIO_LISTEN", listen.as_str())];
        let not_a_panic = |output: &Output, what: &str| {
            let stderr = text(&output.stderr);
            assert!(!stderr.contains("panicked"), "{url} {what}: {stderr}");
            assert!(
                !stderr.contains("secret-password"),
                "{what} printed the password: {stderr}"
            );
        };

        let migrate = folio(dir.path(), &["migrate"], &env, "");
        not_a_panic(&migrate, "migrate");
        assert!(migrate.status.success(), "{url}: {}", text(&migrate.stderr));

        let created = folio(
            dir.path(),
            &["admin", "create-user", "--email", "staff@example.org", "--staff"],
            &env,
            "a-strong-password\n",
        );
        not_a_panic(&created, "create-user");
        assert!(created.status.success(), "{url}: {}", text(&created.stderr));

        let check = folio(dir.path(), &["check"], &env, "");
        not_a_panic(&check, "check");
        if url == smtp {
            assert!(check.status.success(), "{}", text(&check.stderr));
            assert!(text(&check.stdout).contains("email: usable"));
        } else {
            // An unreachable server is a clear failure, not a crash.
            assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
            assert!(text(&check.stderr).contains("FOLIO_EMAIL_URL"));
        }

        for (command, worker, ready) in [
            ("serve", "embedded", "listening on"),
            ("serve", "off", "listening on"),
            ("worker", "off", "job worker started"),
        ] {
            let mut env = env.to_vec();
            env.push(("FOLIO_WORKER", worker));
            let (code, log) = run_until_terminated(dir.path(), &[command], &env, ready);
            assert!(!log.contains("panicked"), "{url} {command}: {log}");
            assert!(
                !log.contains("secret-password"),
                "{command} logged the password: {log}"
            );
            assert!(log.contains(ready), "{url} {command}: {log}");
            assert_eq!(code, Some(0), "{url} {command} FOLIO_WORKER={worker}: {log}");
        }
    }
}

/// The admin URL of the test PostgreSQL server, or `None` (skipped; CI must set it).
fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("FOLIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must set FOLIO_TEST_POSTGRES_URL"
        );
        eprintln!("SKIPPED: FOLIO_TEST_POSTGRES_URL is not set");
    }
    url
}

/// `psql` against `url`: (success, stdout + stderr).
fn psql(url: &str, sql: &str) -> (bool, String) {
    let out = Command::new("psql").args([url, "-qAtc", sql]).output().unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// The admin URL with another database and, if given, another user (and no password).
fn postgres_url_as(admin_url: &str, user: Option<&str>, database: &str) -> String {
    let mut url = url::Url::parse(admin_url).unwrap();
    if let Some(user) = user {
        url.set_username(user).unwrap();
        url.set_password(None).unwrap();
    }
    url.set_path(database);
    url.to_string()
}

#[test]
fn migrate_gives_the_app_role_rows_and_nothing_more() {
    let Some(admin_url) = postgres_admin_url() else {
        return;
    };
    let (database, role) = (
        format!("folio_role_{}", std::process::id()),
        format!("folio_app_{}", std::process::id()),
    );
    let admin_db = postgres_url_as(&admin_url, None, &database);
    assert!(psql(&admin_url, &format!("CREATE DATABASE {database}")).0);
    let dir = tempfile::tempdir().unwrap();

    let bad = folio(
        dir.path(),
        &["migrate", "--app-role", "app; DROP TABLE users"],
        &[("FOLIO_DATABASE_URL", &admin_db)],
        "",
    );
    assert!(
        !bad.status.success() && text(&bad.stderr).contains("not a valid role name"),
        "{}",
        text(&bad.stderr)
    );
    assert_eq!(
        psql(
            &admin_db,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .1
        .trim(),
        "0",
        "a refused role changes nothing"
    );

    for _ in 0..2 {
        let migrate = folio(
            dir.path(),
            &["migrate"],
            &[
                ("FOLIO_DATABASE_URL", &admin_db),
                ("FOLIO_DATABASE_APP_ROLE", &role),
            ],
            "",
        );
        assert!(migrate.status.success(), "{}", text(&migrate.stderr));
        assert!(
            text(&migrate.stdout).contains(&format!("role {role}: may read and write rows")),
            "{}",
            text(&migrate.stdout)
        );
    }

    let app_url = postgres_url_as(&admin_url, Some(&role), &database);
    let app_env = [("FOLIO_DATABASE_URL", app_url.as_str())];
    let check = folio(dir.path(), &["check"], &app_env, "");
    assert!(
        check.status.success(),
        "the app role reads the schema: {}",
        text(&check.stderr)
    );
    let created = folio(
        dir.path(),
        &["admin", "create-user", "--email", "role@example.org"],
        &app_env,
        "a long enough password\n",
    );
    assert!(
        created.status.success(),
        "the app role writes rows: {}",
        text(&created.stderr)
    );
    assert_eq!(psql(&app_url, "SELECT count(*) FROM users").1.trim(), "1");
    for ddl in [
        "CREATE TABLE evil (x int)",
        "DROP TABLE users",
        "ALTER TABLE users ADD COLUMN evil int",
        "TRUNCATE users",
    ] {
        let (ok, out) = psql(&app_url, ddl);
        assert!(
            !ok && out.contains("permission denied") || out.contains("must be owner"),
            "{ddl} as the app role: {out}"
        );
    }

    assert!(psql(&admin_url, &format!("DROP DATABASE {database} WITH (FORCE)")).0);
    assert!(psql(&admin_url, &format!("DROP ROLE {role}")).0);
}

#[test]
fn iam_database_auth_signs_a_token_or_says_why_not() {
    let Some(admin_url) = postgres_admin_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The local server trusts loopback, so it accepts the token as it would any password: this
    // shows the token path connects; RDS is where the token itself is checked.
    let database = format!("folio_iam_{}", std::process::id());
    assert!(psql(&admin_url, &format!("CREATE DATABASE {database}")).0);
    let admin = url::Url::parse(&admin_url).unwrap();
    let url = postgres_url_as(&admin_url, Some(admin.username()), &database);
    let iam = [
        ("FOLIO_DATABASE_URL", url.as_str()),
        ("FOLIO_DATABASE_AUTH", "iam"),
        ("AWS_REGION", "eu-central-1"),
    ];
    let without_aws = |cmd: &mut Command| {
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", dir.path());
    };

    let mut no_credentials = folio_command(dir.path(), &["migrate"], &iam);
    without_aws(&mut no_credentials);
    let out = no_credentials.stdout(Stdio::piped()).output().unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("IAM database authentication: AWS credentials"),
        "{}",
        text(&out.stderr)
    );

    let mut signed = folio_command(dir.path(), &["migrate"], &iam);
    without_aws(&mut signed);
    signed
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example-secret");
    let out = signed.stdout(Stdio::piped()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("example-secret"));

    for (variable, value, why) in [
        ("FOLIO_DATABASE_AUTH", "kerberos", "use url or iam"),
        (
            "FOLIO_DATABASE_PASSWORD",
            "x",
            "not used with FOLIO_DATABASE_AUTH=iam",
        ),
        (
            "FOLIO_DATABASE_URL",
            "postgres://u:secret-pw@db.internal/folio",
            "carries a password",
        ),
        ("FOLIO_DATABASE_URL", "sqlite://data/folio.db", "not SQLite"),
    ] {
        let mut env = iam.to_vec();
        env.retain(|(key, _)| *key != variable);
        env.push((variable, value));
        let out = folio(dir.path(), &["check"], &env, "");
        assert!(
            !out.status.success() && text(&out.stderr).contains(why),
            "{variable}={value}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("secret-pw"),
            "the password is not echoed"
        );
    }
    assert!(psql(&admin_url, &format!("DROP DATABASE {database} WITH (FORCE)")).0);
}

/// `GET path` over plain HTTP/1.1 on `port`: the status line's code and the body.
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// Both production commands serve the Prometheus text on FOLIO_METRICS_LISTEN, and the public
/// port does not.
#[test]
fn serve_and_worker_export_metrics_on_their_own_port() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    for (command, ready) in [("serve", "listening on"), ("worker", "job worker started")] {
        let public = free_port();
        let metrics = free_port();
        let (listen, metrics_listen) = (format!("127.0.0.1:{public}"), format!("127.0.0.1:{metrics}"));
        let env = [
            ("FOLIO_LISTEN", listen.as_str()),
            ("FOLIO_METRICS_LISTEN", metrics_listen.as_str()),
            ("FOLIO_WORKER", "off"),
        ];
        let mut child = folio_command(dir.path(), &[command], &env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut log = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            log.push_str(&line);
            if line.contains(ready) {
                break;
            }
        }
        assert!(log.contains(ready), "{command}: {log}");
        if command == "serve" {
            assert_eq!(http_get(public, "/healthz").0, 200);
            // The fallback suggests the slashed path, which is not found either.
            assert_eq!(http_get(public, "/metrics").0, 308, "never on the public port");
            assert_eq!(http_get(public, "/metrics/").0, 404, "never on the public port");
        }
        // The queue is counted as soon as the listener starts, in either process (by a task
        // of its own, so the first scrape may come just before, or between the gauges it sets
        // one after the other: wait for the last of them).
        let mut scraped = (0, String::new());
        for _ in 0..50 {
            scraped = http_get(metrics, "/metrics");
            if scraped.1.contains("folio_jobs{state=\"queued\"} 0")
                && scraped.1.contains("folio_jobs_oldest_queued_age_seconds ")
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let (status, body) = scraped;
        assert_eq!(status, 200, "{command}: {body}");
        assert!(
            body.contains("folio_jobs{state=\"queued\"} 0"),
            "{command}: {body}"
        );
        assert!(
            body.contains("folio_jobs_oldest_queued_age_seconds 0"),
            "{command}: {body}"
        );
        assert!(
            body.contains("folio_db_pool_max_connections "),
            "{command}: {body}"
        );
        if command == "serve" {
            assert!(
                body.contains(
                    "folio_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
                ),
                "{body}"
            );
        }
        // The signal handler is installed right after the ready line.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        lines.for_each(drop);
        assert_eq!(child.wait().unwrap().code(), Some(0), "{command}");
    }
}
