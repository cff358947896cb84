use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};

use crate::entities::{note, pad};

/// The orders a note list can be sorted in: a whitelist, so `?order=` never reaches SQL as text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoteOrder {
    NameAsc,
    NameDesc,
    UpdatedAsc,
    #[default]
    UpdatedDesc,
}

impl NoteOrder {
    /// Reads a `?order=` value; anything unknown (or missing) is the default, never an error.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("name") => Self::NameAsc,
            Some("-name") => Self::NameDesc,
            Some("updated_at") => Self::UpdatedAsc,
            _ => Self::UpdatedDesc,
        }
    }

    /// The query-string spelling of this order.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::UpdatedAsc => "updated_at",
            Self::UpdatedDesc => "-updated_at",
        }
    }

    fn column_and_direction(self) -> (note::Column, Order) {
        match self {
            Self::NameAsc => (note::Column::Name, Order::Asc),
            Self::NameDesc => (note::Column::Name, Order::Desc),
            Self::UpdatedAsc => (note::Column::UpdatedAt, Order::Asc),
            Self::UpdatedDesc => (note::Column::UpdatedAt, Order::Desc),
        }
    }
}

/// One row of a note list. It carries the pad's id only: the page already has the user's pads
/// (for the sidebar), so joining their names here would be work done twice.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct NoteListing {
    pub id: i64,
    pub name: String,
    pub pad_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A note with its pad's name, for the note page and the edit form.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct NoteView {
    pub id: i64,
    pub name: String,
    pub text: String,
    pub pad_id: Option<i64>,
    pub pad_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of a [`NoteListing`].
const LISTING_COLUMNS: [note::Column; 4] = [
    note::Column::Id,
    note::Column::Name,
    note::Column::PadId,
    note::Column::UpdatedAt,
];

/// The user's notes, optionally only those of one pad, in one single-table query.
pub async fn list(
    db: &DatabaseConnection,
    user_id: i64,
    pad_id: Option<i64>,
    order: NoteOrder,
) -> Result<Vec<NoteListing>, DbErr> {
    let (column, direction) = order.column_and_direction();
    let mut query = note::Entity::find()
        .select_only()
        .columns(LISTING_COLUMNS)
        .column_as(pad::Column::Name, "pad_name")
        .join(JoinType::LeftJoin, note::Relation::Pad.def())
        .filter(note::Column::UserId.eq(user_id));
    if let Some(pad_id) = pad_id {
        query = query.filter(note::Column::PadId.eq(pad_id));
    }
    query
        .order_by(column, direction.clone())
        .order_by(note::Column::Id, direction)
        .into_model::<NoteListing>()
        .all(db)
        .await
}

/// The note when it exists and belongs to `user_id`.
pub async fn find_owned(
    db: &DatabaseConnection,
    user_id: i64,
    note_id: i64,
) -> Result<Option<NoteView>, DbErr> {
    note::Entity::find_by_id(note_id)
        .select_only()
        .columns([
            note::Column::Id,
            note::Column::Name,
            note::Column::Text,
            note::Column::PadId,
            note::Column::UpdatedAt,
        ])
        .column_as(pad::Column::Name, "pad_name")
        .join(JoinType::LeftJoin, note::Relation::Pad.def())
        .filter(note::Column::UserId.eq(user_id))
        .into_model::<NoteView>()
        .one(db)
        .await
}

/// What a note form submits, already validated.
#[derive(Clone, Debug)]
pub struct NoteInput<'a> {
    pub name: &'a str,
    pub text: &'a str,
    /// Must be one of the user's pads: the caller checks ownership first.
    pub pad_id: Option<i64>,
}

/// What a user's notes take up: how many, and their text in bytes (the account's quotas).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoteUsage {
    pub notes: u64,
    pub text_bytes: u64,
}

/// Counts the user's notes and the bytes of their text, in one statement on the user's index.
/// PostgreSQL and SQLite read a long text's size from its header without fetching the text.
pub async fn usage(db: &DatabaseConnection, user_id: i64) -> Result<NoteUsage, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        notes: i64,
        text_bytes: i64,
    }
    let text_bytes = match db.get_database_backend() {
        // SUM is a DECIMAL in MySQL.
        sea_orm::DbBackend::MySql => "CAST(COALESCE(SUM(OCTET_LENGTH(text)), 0) AS SIGNED)",
        // PostgreSQL, and SQLite from 3.43 (Folio bundles a later one): both take a long
        // value's size from its header without reading the value. SQLite's LENGTH(CAST(text AS
        // BLOB)) read all of them: 100 MB for an account at the text quota (bench/quota-check.sh).
        _ => "COALESCE(SUM(OCTET_LENGTH(text)), 0)",
    };
    let row = note::Entity::find()
        .select_only()
        .column_as(note::Column::Id.count(), "notes")
        .column_as(Expr::cust(text_bytes), "text_bytes")
        .filter(note::Column::UserId.eq(user_id))
        .into_model::<Row>()
        .one(db)
        .await?;
    Ok(row.map_or_else(NoteUsage::default, |row| NoteUsage {
        notes: u64::try_from(row.notes).unwrap_or(0),
        text_bytes: u64::try_from(row.text_bytes).unwrap_or(0),
    }))
}

pub async fn create(
    db: &DatabaseConnection,
    user_id: i64,
    input: NoteInput<'_>,
) -> Result<note::Model, DbErr> {
    let now = Utc::now();
    note::ActiveModel {
        user_id: Set(user_id),
        pad_id: Set(input.pad_id),
        name: Set(input.name.to_owned()),
        text: Set(input.text.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Updates the note; false when it is not the user's, or when `unchanged_since` is given and
/// the note was changed after that (someone else's edit came first: the API's `If-Match`).
pub async fn update(
    db: &DatabaseConnection,
    user_id: i64,
    note_id: i64,
    input: NoteInput<'_>,
    unchanged_since: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let mut update = note::Entity::update_many()
        .col_expr(note::Column::Name, Expr::value(input.name))
        .col_expr(note::Column::Text, Expr::value(input.text))
        .col_expr(note::Column::PadId, Expr::value(input.pad_id))
        .col_expr(note::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(note::Column::Id.eq(note_id))
        .filter(note::Column::UserId.eq(user_id));
    if let Some(seen) = unchanged_since {
        update = update.filter(note::Column::UpdatedAt.eq(seen));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// One row of a page of notes, with the total the window function counted beside it.
#[derive(FromQueryResult)]
struct CountedListing {
    id: i64,
    name: String,
    pad_id: Option<i64>,
    updated_at: DateTime<Utc>,
    total: i64,
}

/// One page of the user's notes (optionally of one pad) and how many there are in all: the
/// API's list. One statement on the `notes(user_id, …)` index, the total counted alongside the
/// page by `COUNT(*) OVER ()` (PostgreSQL, MySQL 8 / MariaDB 10.2, SQLite 3.25); only a page
/// past the end, which has no row to carry the total, costs a second, counting statement.
pub async fn page(
    db: &DatabaseConnection,
    user_id: i64,
    pad_id: Option<i64>,
    order: NoteOrder,
    offset: u64,
    limit: u64,
) -> Result<(Vec<NoteListing>, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let (column, direction) = order.column_and_direction();
    let mut query = note::Entity::find().filter(note::Column::UserId.eq(user_id));
    if let Some(pad_id) = pad_id {
        query = query.filter(note::Column::PadId.eq(pad_id));
    }
    let rows = query
        .clone()
        .select_only()
        .columns(LISTING_COLUMNS)
        .column_as(Expr::cust("COUNT(*) OVER ()"), "total")
        .order_by(column, direction.clone())
        .order_by(note::Column::Id, direction)
        .offset(offset)
        .limit(limit)
        .into_model::<CountedListing>()
        .all(db)
        .await?;
    let total = match rows.first() {
        Some(row) => u64::try_from(row.total).unwrap_or(0),
        None if offset == 0 => 0,
        None => query.count(db).await?,
    };
    let listing = rows
        .into_iter()
        .map(|row| NoteListing {
            id: row.id,
            name: row.name,
            pad_id: row.pad_id,
            updated_at: row.updated_at,
        })
        .collect();
    Ok((listing, total))
}

/// Deletes the note; false when it is not the user's, or when `unchanged_since` is given and
/// the note was changed after that (the API's `If-Match`).
pub async fn delete_owned(
    db: &DatabaseConnection,
    user_id: i64,
    note_id: i64,
    unchanged_since: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let mut delete = note::Entity::delete_many()
        .filter(note::Column::Id.eq(note_id))
        .filter(note::Column::UserId.eq(user_id));
    if let Some(seen) = unchanged_since {
        delete = delete.filter(note::Column::UpdatedAt.eq(seen));
    }
    Ok(delete.exec(db).await?.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::NoteOrder;

    #[test]
    fn known_orders_round_trip() {
        for order in [
            NoteOrder::NameAsc,
            NoteOrder::NameDesc,
            NoteOrder::UpdatedAsc,
            NoteOrder::UpdatedDesc,
        ] {
            assert_eq!(NoteOrder::parse(Some(order.as_str())), order);
        }
    }

    #[test]
    fn anything_else_falls_back_to_newest_first() {
        for junk in [
            None,
            Some(""),
            Some("id"),
            Some("name; DROP TABLE notes"),
            Some("-NAME"),
            Some("text"),
        ] {
            assert_eq!(NoteOrder::parse(junk), NoteOrder::UpdatedDesc);
        }
    }
}
