//! The load test's own settings, from the environment (goose's flags are goose's: `--host`,
//! `--users`, `--run-time`, `--report-file`, ...).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

/// Where each goose user's requests come from, as the server sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceAddresses {
    /// Each user (and each arriving subscriber) binds its own loopback address, 127.10.0.1
    /// onwards: the stack's proxy records it in `X-Forwarded-For`, so the app's per-client
    /// rate limits see distinct clients, as they would real visitors. Only for a host on this
    /// machine.
    Loopback,
    /// The machine's own address for every request: one client as far as the app can tell, so
    /// its per-client limits (subscribe 5/hour, sign-up 10/hour) refuse most of those forms
    /// with 429, which then counts as expected, not as a failure.
    Shared,
}

#[derive(Debug)]
pub struct Settings {
    /// PEM certificate(s) to trust besides the system's (the local stack's self-signed CA).
    pub ca_pem: Option<Vec<u8>>,
    /// `LOADTEST_SOURCE_ADDRESSES`: `loopback`, `shared`, or `auto` (loopback when the host is
    /// 127.0.0.1 or localhost).
    pub sources: Option<SourceAddresses>,
    pub timeout_secs: u64,
    /// Staff account for the editing scenario (and the seeding).
    pub staff_email: Option<String>,
    pub staff_password: Option<String>,
    /// Pre-seeded note-keeping accounts `PREFIX1@DOMAIN`..`PREFIXn@DOMAIN` with one password;
    /// without them each note keeper signs up an account of its own.
    pub accounts: Option<Accounts>,
    /// The password of the accounts note keepers sign up.
    pub signup_password: String,
    /// Makes this run's emails and titles unique (against a database that outlives a run).
    pub run_id: String,
    /// Scenario weights.
    pub weights: Weights,
}

#[derive(Clone, Debug)]
pub struct Accounts {
    /// e.g. `notes-{}@loadtest.example.org`: `{}` is replaced by 1..=count.
    pub pattern: String,
    pub count: usize,
    pub password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    pub readers: usize,
    pub notes: usize,
    pub staff: usize,
    pub subscribers: usize,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            readers: 12,
            notes: 6,
            staff: 1,
            subscribers: 2,
        }
    }
}

impl Weights {
    /// `readers=12,notes=6,staff=1,subscribers=2` (any subset; 0 leaves a scenario out).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut weights = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("LOADTEST_WEIGHTS: {part:?} is not NAME=WEIGHT"))?;
            let value: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("LOADTEST_WEIGHTS: {part:?}: the weight is not a number"))?;
            match name.trim() {
                "readers" => weights.readers = value,
                "notes" => weights.notes = value,
                "staff" => weights.staff = value,
                "subscribers" => weights.subscribers = value,
                other => {
                    return Err(format!(
                        "LOADTEST_WEIGHTS: unknown scenario {other:?} (readers, notes, staff, subscribers)"
                    ));
                }
            }
        }
        Ok(weights)
    }
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The settings; [`load`] must have run.
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(|| Settings::from_env().unwrap_or_else(|e| panic!("{e}")))
}

/// Reads the settings once, before the load test starts, so a bad value stops it at once.
pub fn load() -> Result<&'static Settings, String> {
    if let Some(s) = SETTINGS.get() {
        return Ok(s);
    }
    let s = Settings::from_env()?;
    Ok(SETTINGS.get_or_init(|| s))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let ca_pem = match var("LOADTEST_CA_FILE") {
            Some(path) => Some(std::fs::read(&path).map_err(|e| format!("LOADTEST_CA_FILE={path}: {e}"))?),
            None => None,
        };
        let sources = match var("LOADTEST_SOURCE_ADDRESSES").as_deref() {
            None | Some("auto") => None,
            Some("loopback") => Some(SourceAddresses::Loopback),
            Some("shared") => Some(SourceAddresses::Shared),
            Some(other) => {
                return Err(format!(
                    "LOADTEST_SOURCE_ADDRESSES={other}: expected auto, loopback or shared"
                ));
            }
        };
        let timeout_secs = match var("LOADTEST_TIMEOUT_SECS") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("LOADTEST_TIMEOUT_SECS={v}: not a number of seconds"))?,
            None => 30,
        };
        let accounts = match (var("LOADTEST_ACCOUNTS"), var("LOADTEST_ACCOUNT_PASSWORD")) {
            (Some(spec), Some(password)) => {
                // PATTERN:COUNT, e.g. notes-{}@loadtest.example.org:20
                let (pattern, count) = spec
                    .rsplit_once(':')
                    .ok_or_else(|| format!("LOADTEST_ACCOUNTS={spec}: expected PATTERN:COUNT"))?;
                let count: usize = count
                    .parse()
                    .map_err(|_| format!("LOADTEST_ACCOUNTS={spec}: COUNT is not a number"))?;
                if !pattern.contains("{}") || count == 0 {
                    return Err(format!(
                        "LOADTEST_ACCOUNTS={spec}: the pattern needs {{}} and COUNT at least 1"
                    ));
                }
                Some(Accounts {
                    pattern: pattern.to_owned(),
                    count,
                    password,
                })
            }
            (None, None) => None,
            _ => return Err("LOADTEST_ACCOUNTS and LOADTEST_ACCOUNT_PASSWORD go together".into()),
        };
        let weights = match var("LOADTEST_WEIGHTS") {
            Some(text) => Weights::parse(&text)?,
            None => Weights::default(),
        };
        let run_id = var("LOADTEST_RUN_ID").unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("{secs:x}")
        });
        Ok(Self {
            ca_pem,
            sources,
            timeout_secs,
            staff_email: var("LOADTEST_STAFF_EMAIL"),
            staff_password: var("LOADTEST_STAFF_PASSWORD"),
            accounts,
            signup_password: var("LOADTEST_SIGNUP_PASSWORD").unwrap_or_else(|| "load test password 1".into()),
            run_id,
            weights,
        })
    }

    /// How requests to `base` are sourced (the setting, or `auto`'s choice).
    pub fn source_addresses(&self, base: &Url) -> SourceAddresses {
        self.sources.unwrap_or_else(|| {
            if is_this_machine(base) {
                SourceAddresses::Loopback
            } else {
                SourceAddresses::Shared
            }
        })
    }

    pub fn staff(&self) -> Option<(&str, &str)> {
        Some((self.staff_email.as_deref()?, self.staff_password.as_deref()?))
    }
}

fn is_this_machine(base: &Url) -> bool {
    match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        _ => false,
    }
}

/// 429 answers taken as the rate limit doing its job (with shared source addresses).
static LIMITED: AtomicU64 = AtomicU64::new(0);

pub fn count_limited() {
    LIMITED.fetch_add(1, Ordering::Relaxed);
}

pub fn limited() -> u64 {
    LIMITED.load(Ordering::Relaxed)
}

/// A number unique within this process (emails, titles).
pub fn next_serial() -> u64 {
    static SERIAL: AtomicU64 = AtomicU64::new(1);
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse() {
        assert_eq!(
            Weights::parse("readers=3, staff=0").ok(),
            Some(Weights {
                readers: 3,
                notes: 6,
                staff: 0,
                subscribers: 2
            })
        );
        assert!(Weights::parse("writers=1").is_err());
        assert!(Weights::parse("readers").is_err());
    }

    #[test]
    fn only_loopback_hosts_are_this_machine() {
        let u = |s: &str| Url::parse(s).ok();
        assert!(u("https://127.0.0.1:48443/").is_some_and(|u| is_this_machine(&u)));
        assert!(u("http://localhost:8000/").is_some_and(|u| is_this_machine(&u)));
        assert!(!u("https://folio.example.org/").is_some_and(|u| is_this_machine(&u)));
    }
}
