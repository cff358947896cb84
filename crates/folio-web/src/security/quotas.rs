//! What one account may store, and how fast it may write. Without them one free account could
//! fill the disk: 8 connections posting 262,000-character notes wrote 7,432 notes in 10 s.
//!
//! - **Quotas** (`FOLIO_QUOTA_NOTES`, `FOLIO_QUOTA_PADS`, `FOLIO_QUOTA_TEXT_MB`): checked before
//!   each note or pad is created or a note's text grows, against a count of the account's rows
//!   (one indexed statement). Two writes racing at the very edge can both pass: the quota may be
//!   overshot by what those writes carry, never more.
//! - **Write rate** (`FOLIO_WRITE_RATE_LIMIT`): note and pad writes per account per minute,
//!   from the pages and the API alike, counted by the shared limiter.
//!
//! A refusal names the field it concerns and says what to do; nothing is written.

use folio_db::queries::{notes, pads};

use crate::error::{AppError, within_limit};
use crate::forms::FieldErrors;
use crate::state::AppState;

/// The most one account may store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub notes: u64,
    pub pads: u64,
    /// The text of all the account's notes together, in bytes.
    pub text_bytes: u64,
    /// Signed-in sessions: a sign-in beyond this ends the account's oldest session.
    pub sessions: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            notes: 10_000,
            pads: 1_000,
            text_bytes: 100 * 1024 * 1024,
            sessions: 20,
        }
    }
}

const WRITES_LIMITED: &str =
    "You are saving faster than Folio allows for one account. Wait a minute, then try again.";

/// A note about to be written: a new one, or a change of one whose text is `old_text_bytes` long.
#[derive(Clone, Copy, Debug)]
pub enum NoteWrite {
    Create {
        text_bytes: usize,
    },
    Update {
        old_text_bytes: usize,
        text_bytes: usize,
    },
}

/// Counts a write against the account's rate (an `Err` when over it), then checks the quotas:
/// `Ok(Err(errors))` names the field over its quota.
pub async fn check_note_write(
    state: &AppState,
    user_id: i64,
    write: NoteWrite,
) -> Result<Result<(), FieldErrors>, AppError> {
    count_write(state, user_id).await?;
    let quotas = state.settings.quotas;
    let (creating, old, new) = match write {
        NoteWrite::Create { text_bytes } => (true, 0, text_bytes),
        NoteWrite::Update {
            old_text_bytes,
            text_bytes,
        } => (false, old_text_bytes, text_bytes),
    };
    if !creating && new <= old {
        // Shrinking or keeping a note's text never needs room.
        return Ok(Ok(()));
    }
    let usage = notes::usage(&state.db, user_id).await?;
    let mut errors = FieldErrors::default();
    if creating && usage.notes >= quotas.notes {
        errors.add(
            "name",
            format!(
                "You have {} notes, the most one account may keep. Delete some to make room.",
                usage.notes
            ),
        );
    }
    let after = usage
        .text_bytes
        .saturating_sub(as_u64(old))
        .saturating_add(as_u64(new));
    if after > quotas.text_bytes {
        errors.add(
            "text",
            format!(
                "Your notes would take {} MB, over the {} MB one account may keep. Shorten this text or delete notes you no longer need.",
                megabytes(after),
                megabytes(quotas.text_bytes)
            ),
        );
    }
    Ok(if errors.is_empty() { Ok(()) } else { Err(errors) })
}

/// Counts a pad's creation against the account's rate, then checks the pad quota.
pub async fn check_new_pad(state: &AppState, user_id: i64) -> Result<Result<(), FieldErrors>, AppError> {
    count_write(state, user_id).await?;
    let count = pads::count_for_user(&state.db, user_id).await?;
    if count >= state.settings.quotas.pads {
        let mut errors = FieldErrors::default();
        errors.add(
            "name",
            format!("You have {count} pads, the most one account may keep. Delete one to make room."),
        );
        return Ok(Err(errors));
    }
    Ok(Ok(()))
}

/// Counts a write (a pad renamed, too) against the account's rate.
pub async fn count_write(state: &AppState, user_id: i64) -> Result<(), AppError> {
    let limit = &state.settings.rate_limits.writes;
    within_limit(
        state.limiter.hit(limit, &user_id.to_string()).await,
        WRITES_LIMITED,
    )
}

fn as_u64(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// Whole megabytes, rounded up, so a figure over a quota never reads as equal to it.
fn megabytes(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}
