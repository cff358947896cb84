//! Folio's HTTP layer: the router, the application state, errors, extractors and one folder per
//! feature. The binary (`crates/folio`) turns configuration into an [`AppConfig`], connects
//! the database, mailer and storage, and hands them to [`App::build`]; the test kit starts
//! apps through the same wiring with port 0.

pub mod app;
pub mod cluster;
pub mod config;
pub mod connections;
pub mod content;
pub mod dates;
pub mod domain;
pub mod drain;
pub mod error;
pub mod features;
pub mod forms;
pub mod layout;
pub mod metrics;
pub mod page_cache;
pub mod security;
pub mod session;
pub mod sns;
pub mod state;
pub mod uploads;
pub mod view_counts;

pub use app::{App, Services};
pub use config::{AppConfig, SecretKey, WorkerMode};
