//! The audit log: one row per admin write, inserted through the write's own transaction so
//! the log and the change commit or roll back together.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::list::{self, ListRequest, Page, sort_columns};
use crate::entities::audit_entry;

sort_columns! {
    /// The columns the audit log sorts by.
    AuditSort for audit_entry {
        CreatedAt => CreatedAt,
        Actor => ActorEmail,
        Action => Action,
    }
}

/// The audit log's filters; `None` is "all".
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditFilter<'a> {
    pub action: Option<&'a str>,
    pub object_type: Option<&'a str>,
}

/// One page of the audit log; the search looks at the summary and the actor's email.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: AuditFilter<'_>,
    request: &ListRequest<AuditSort>,
) -> Result<Page<audit_entry::Model>, DbErr> {
    let mut select = audit_entry::Entity::find();
    if let Some(action) = filter.action {
        select = select.filter(audit_entry::Column::Action.eq(action));
    }
    if let Some(object_type) = filter.object_type {
        select = select.filter(audit_entry::Column::ObjectType.eq(object_type));
    }
    let searched = [audit_entry::Column::Summary, audit_entry::Column::ActorEmail];
    list::fetch(conn, select, &searched, request, audit_entry::Column::Id).await
}

/// Every entry about one object, oldest first: its history.
pub async fn for_object(
    conn: &impl ConnectionTrait,
    object_type: &str,
    object_id: i64,
) -> Result<Vec<audit_entry::Model>, DbErr> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::ObjectType.eq(object_type))
        .filter(audit_entry::Column::ObjectId.eq(object_id))
        .order_by_asc(audit_entry::Column::Id)
        .all(conn)
        .await
}

/// The `limit` newest entries.
pub async fn latest(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<audit_entry::Model>, DbErr> {
    audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Who made a change: a staff member, or Folio itself (a scheduled publication).
#[derive(Clone, Debug)]
pub struct Actor {
    /// The staff member's user id; `None` for Folio itself.
    pub id: Option<i64>,
    /// What the audit log shows as the actor.
    pub email: String,
}

impl Actor {
    /// Folio itself, for changes the job worker makes on its own schedule.
    pub fn folio() -> Self {
        Self {
            id: None,
            email: "Folio (scheduled)".to_owned(),
        }
    }
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
        actor_id: Set(actor.id),
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
