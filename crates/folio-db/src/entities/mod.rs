//! Table definitions. Timestamps are UTC everywhere; ids are 64-bit integers because the
//! Notejam URLs (`/notes/<id>/`) are numeric.

pub mod note;
pub mod pad;
pub mod password_reset;
pub mod session;
pub mod user;
