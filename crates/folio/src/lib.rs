//! The part of the binary other crates reuse: the wiring that turns an [`AppConfig`] into
//! connected parts and a running app. It is a library so that the test kit starts apps exactly
//! as `folio serve` does instead of keeping a copy of this code. [`backup`] is here for the
//! same reason: tests back up and restore exactly as `folio backup` / `folio restore` do.
//!
//! [`AppConfig`]: folio_web::AppConfig

pub mod backup;
pub mod wiring;
