//! The statements the application runs, grouped by table. Functions that touch a user's data
//! take the owner's id and filter by it in SQL.

pub mod api_tokens;
pub mod audit_entries;
pub mod categories;
pub mod contact_messages;
pub mod deliveries;
pub mod email_suppressions;
pub mod images;
pub mod items;
pub mod jobs;
pub mod list;
pub mod notes;
pub mod pads;
pub mod password_resets;
pub mod sessions;
pub mod site;
pub mod subscribers;
pub mod users;
pub mod write_error;

pub use notes::{NoteListing, NoteOrder, NoteView};
