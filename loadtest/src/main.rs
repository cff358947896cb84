//! Load tests of Folio with goose: site readers, people keeping notes, staff editing, and
//! subscribers arriving, each driving the app through its HTML forms as a browser does.
//!
//! ```text
//! folio-loadtest --host https://127.0.0.1:48443 --users 20 --run-time 60s [goose flags]
//! folio-loadtest seed --host https://127.0.0.1:48443 [--items 6]
//! ```
//!
//! Settings of the load test itself come from `LOADTEST_*` variables: see `settings.rs` and
//! loadtest/README.md.

mod browser;
mod notes;
mod readers;
mod seed;
mod settings;
mod staff;
mod subscribers;
mod tls;

use goose::prelude::*;

use crate::settings::Weights;

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("folio-loadtest: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(0) => std::process::ExitCode::SUCCESS,
        // Goose itself exits 0 however many requests failed: ours tells a script.
        Ok(_) => std::process::ExitCode::from(3),
        Err(message) => {
            eprintln!("folio-loadtest: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the load test (or the seeding); returns how many requests failed.
async fn run() -> Result<usize, String> {
    let settings = settings::load()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("seed") {
        seed::run(seed::SeedArgs::parse(&args[1..])?).await?;
        return Ok(0);
    }

    let Weights {
        readers,
        notes,
        staff,
        subscribers,
    } = settings.weights;
    let staff = if settings.staff().is_none() && staff > 0 {
        eprintln!(
            "folio-loadtest: no LOADTEST_STAFF_EMAIL/LOADTEST_STAFF_PASSWORD: the staff scenario is left out"
        );
        0
    } else {
        staff
    };
    let mut attack = GooseAttack::initialize().map_err(|e| e.to_string())?;
    let scenarios = [
        (
            readers,
            readers::scenario as fn(usize) -> Result<Scenario, GooseError>,
        ),
        (notes, notes::scenario),
        (staff, staff::scenario),
        (subscribers, subscribers::scenario),
    ];
    for (weight, scenario) in scenarios {
        if weight > 0 {
            attack = attack.register_scenario(scenario(weight).map_err(|e| e.to_string())?);
        }
    }
    let metrics = attack
        .set_default(GooseDefault::Users, 20)
        .and_then(|a| a.set_default(GooseDefault::IncreaseRate, "4"))
        .and_then(|a| a.set_default(GooseDefault::RunTime, 60))
        // No telnet controller listening on a fixed port (it would meet another run's).
        .and_then(|a| a.set_default(GooseDefault::NoTelnet, true))
        // Keep what happened while users were starting (sign-ups, sign-ins) in the figures.
        .and_then(|a| a.set_default(GooseDefault::NoResetMetrics, true))
        .map_err(|e| e.to_string())?
        .execute()
        .await
        .map_err(|e| e.to_string())?;

    let limited = settings::limited();
    if limited > 0 {
        println!(
            "\nRate-limited by design (429 counted as expected, one client address for every user): {limited} requests"
        );
    }
    let failed: usize = metrics.requests.values().map(|r| r.fail_count).sum();
    if failed > 0 {
        println!("\n{failed} requests failed (see the error table above and the report)");
    }
    Ok(failed)
}
