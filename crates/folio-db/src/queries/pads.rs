use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::{note, pad};

/// A pad as the sidebar and the pad pages show it.
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct PadSummary {
    pub id: i64,
    pub name: String,
}

/// The user's pads by name, for the sidebar and the note form's select.
pub async fn list_for_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<PadSummary>, DbErr> {
    pad::Entity::find()
        .select_only()
        .columns([pad::Column::Id, pad::Column::Name])
        .filter(pad::Column::UserId.eq(user_id))
        .order_by_asc(pad::Column::Name)
        .order_by_asc(pad::Column::Id)
        .into_model::<PadSummary>()
        .all(db)
        .await
}

/// The user's pads, whole, by name (the API's list).
pub async fn all_for_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<pad::Model>, DbErr> {
    pad::Entity::find()
        .filter(pad::Column::UserId.eq(user_id))
        .order_by_asc(pad::Column::Name)
        .order_by_asc(pad::Column::Id)
        .all(db)
        .await
}

/// The pad when it exists and belongs to `user_id`; someone else's pad is `None`, like a missing one.
pub async fn find_owned(
    db: &DatabaseConnection,
    user_id: i64,
    pad_id: i64,
) -> Result<Option<pad::Model>, DbErr> {
    pad::Entity::find_by_id(pad_id)
        .filter(pad::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// How many pads the user has (the account's quota).
pub async fn count_for_user(db: &DatabaseConnection, user_id: i64) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    pad::Entity::find()
        .filter(pad::Column::UserId.eq(user_id))
        .count(db)
        .await
}

pub async fn create(db: &DatabaseConnection, user_id: i64, name: &str) -> Result<pad::Model, DbErr> {
    pad::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Renames the pad; false when it is not the user's, or when `current_name` is given and the
/// pad is no longer called that (someone renamed it first: the API's `If-Match`).
pub async fn rename(
    db: &DatabaseConnection,
    user_id: i64,
    pad_id: i64,
    name: &str,
    current_name: Option<&str>,
) -> Result<bool, DbErr> {
    let mut update = pad::Entity::update_many()
        .col_expr(pad::Column::Name, sea_orm::sea_query::Expr::value(name))
        .filter(pad::Column::Id.eq(pad_id))
        .filter(pad::Column::UserId.eq(user_id));
    if let Some(current) = current_name {
        update = update.filter(pad::Column::Name.eq(current));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Deletes the pad and its notes in one transaction; false when it is not the user's, or when
/// `expected_name` is given and the pad has another name now (the API's `If-Match`).
/// The notes are deleted explicitly rather than left to `ON DELETE CASCADE`, so the outcome does
/// not depend on a connection setting (SQLite enforces foreign keys only when asked).
pub async fn delete_owned(
    db: &DatabaseConnection,
    user_id: i64,
    pad_id: i64,
    expected_name: Option<&str>,
) -> Result<bool, DbErr> {
    let txn = crate::begin_write(db).await?;
    // Notes first: the pad row is their foreign-key parent.
    note::Entity::delete_many()
        .filter(note::Column::PadId.eq(pad_id))
        .filter(note::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    let mut delete = pad::Entity::delete_many()
        .filter(pad::Column::Id.eq(pad_id))
        .filter(pad::Column::UserId.eq(user_id));
    if let Some(name) = expected_name {
        delete = delete.filter(pad::Column::Name.eq(name));
    }
    if delete.exec(&txn).await?.rows_affected != 1 {
        // Gone, or renamed since it was read: the notes' delete is rolled back with it.
        return Ok(false);
    }
    txn.commit().await?;
    Ok(true)
}
