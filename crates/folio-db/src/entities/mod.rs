//! Table definitions. Timestamps are UTC everywhere; ids are 64-bit integers because the
//! Notejam URLs (`/notes/<id>/`) are numeric.

pub mod api_token;
pub mod audit_entry;
pub mod category;
pub mod contact_message;
pub mod delivery;
pub mod email_suppression;
pub mod image;
pub mod item;
pub mod job;
pub mod note;
pub mod pad;
pub mod password_reset;
pub mod session;
pub mod subscriber;
pub mod user;
