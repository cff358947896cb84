//! The part of the binary other crates reuse: the wiring that turns an [`AppConfig`] into
//! connected parts and a running app. It is a library so that the test kit starts apps exactly
//! as `folio serve` does instead of keeping a copy of this code.
//!
//! [`AppConfig`]: folio_web::AppConfig

pub mod wiring;
pub mod backup;
