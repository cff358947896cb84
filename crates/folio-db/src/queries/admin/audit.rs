//! The audit log: one row per admin write, inserted through the write's own transaction so
//! the log and the change commit or roll back together.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::entities::audit_entry;

/// The staff member making a change.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: i64,
    pub email: String,
}

/// What an audit row says: `action` on (`object_type`, `object_id`), with a readable summary.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<i64>,
    pub summary: String,
}

impl<'a> Entry<'a> {
    /// `action` on the `object_type` with id `object_id`.
    pub fn new(action: &'a str, object_type: &'a str, object_id: i64, summary: impl Into<String>) -> Self {
        Self {
            action,
            object_type,
            object_id: Some(object_id),
            summary: summary.into(),
        }
    }
}

/// The longest summary kept; longer ones are cut (on a character boundary).
const SUMMARY_MAX_CHARS: usize = 500;

pub async fn record(conn: &impl ConnectionTrait, actor: &Actor, entry: Entry<'_>) -> Result<(), DbErr> {
    let summary: String = entry.summary.chars().take(SUMMARY_MAX_CHARS).collect();
    let row = audit_entry::ActiveModel {
        actor_id: Set(Some(actor.id)),
        actor_email: Set(actor.email.clone()),
        action: Set(entry.action.to_owned()),
        object_type: Set(entry.object_type.to_owned()),
        object_id: Set(entry.object_id),
        summary: Set(summary),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    audit_entry::Entity::insert(row).exec(conn).await?;
    Ok(())
}
