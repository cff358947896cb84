//! Folio's background work: the outbox job queue, its worker, the jobs themselves, the
//! mailer they send through, every email Folio sends (`email/`) and the site URLs those emails
//! and the public pages share (`site_urls`).
//!
//! Web handlers call [`enqueue`] inside the transaction of the change that causes the work;
//! `folio worker` (or `serve` with `FOLIO_WORKER=embedded`) runs a [`Worker`] that claims and
//! runs the jobs. See `docs/ARCHITECTURE.md` for the guarantees.

pub mod context;
pub mod email;
pub mod image_replacement;
pub mod image_work;
pub mod jobs;
pub mod mailer;
pub mod metrics;
pub mod queue;
pub mod site_info;
pub mod site_urls;
pub mod worker;

pub use context::{JobContext, RateLimiter, SiteChanged};
pub use folio_db::queries::jobs::QueueDepth;
pub use mailer::{Email, MailError, Mailer};
pub use queue::{Job, JobError, Registry, enqueue, enqueue_at};
pub use site_info::SiteInfo;
pub use worker::{Outcome, Worker, WorkerOptions, backoff};
