//! Addresses no mail goes to: SES reported a hard bounce or a complaint for them.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr};

use crate::entities::email_suppression;

/// Why an address is suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A permanent (hard) bounce: the address does not exist or never accepts mail.
    Bounce,
    /// The recipient marked a message as spam.
    Complaint,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
        }
    }
}

/// The longest `detail` kept (the column's width).
const DETAIL_MAX_CHARS: usize = 200;

/// Suppresses `email` (lower-cased here). True when it was not suppressed before; a repeated
/// report keeps the first reason. Not for use inside a transaction on PostgreSQL (a failed
/// insert spoils it): the hook calls it on the pool.
pub async fn suppress(
    conn: &impl ConnectionTrait,
    email: &str,
    reason: Reason,
    detail: &str,
) -> Result<bool, DbErr> {
    let row = email_suppression::ActiveModel {
        email: Set(email.trim().to_lowercase()),
        reason: Set(reason.as_str().to_owned()),
        detail: Set(detail.chars().take(DETAIL_MAX_CHARS).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    // Not `ON CONFLICT DO NOTHING`: MySQL has no such clause. The unique index decides
    // between simultaneous reports; the loser sees the violation and reports "already there".
    match row.insert(conn).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(err) => Err(err),
    }
}

/// The suppression of `email`, if any.
pub async fn find(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<email_suppression::Model>, DbErr> {
    email_suppression::Entity::find()
        .filter(email_suppression::Column::Email.eq(email.trim().to_lowercase()))
        .one(conn)
        .await
}

/// The suppressions among `emails` (lower-cased addresses), for showing them in lists.
pub async fn among(
    conn: &impl ConnectionTrait,
    emails: &[String],
) -> Result<Vec<email_suppression::Model>, DbErr> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    email_suppression::Entity::find()
        .filter(email_suppression::Column::Email.is_in(emails.iter().map(String::as_str)))
        .all(conn)
        .await
}
