//! One folder per feature; each exports `router()` and keeps its handlers, forms and templates
//! together. The app merges the routers.

pub mod accounts;
pub mod notes;
pub mod ops;
pub mod pads;

use crate::error::AppError;

/// Reads a numeric id from a path segment; anything else is the same 404 as a missing row.
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}
