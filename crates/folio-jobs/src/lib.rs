//! Folio's background work. For now this is outgoing email; the outbox job queue that will
//! send it from a worker joins this crate next.

pub mod mailer;

pub use mailer::{Email, MailError, Mailer};
