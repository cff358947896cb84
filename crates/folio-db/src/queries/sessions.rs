use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, SqlErr};

use crate::entities::session;

/// Loads a session that has not expired.
pub async fn load(db: &DatabaseConnection, id: &str) -> Result<Option<session::Model>, DbErr> {
    session::Entity::find_by_id(id.to_owned())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await
}

/// Inserts the session or overwrites it (one statement on every backend).
pub async fn upsert(
    db: &DatabaseConnection,
    id: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = session::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id),
        data: Set(data.to_owned()),
        expires_at: Set(expires_at),
    };
    session::Entity::insert(row)
        .on_conflict(
            OnConflict::column(session::Column::Id)
                .update_columns([
                    session::Column::UserId,
                    session::Column::Data,
                    session::Column::ExpiresAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts a brand-new session; false when the id is already taken (the caller picks another).
pub async fn insert_new(
    db: &DatabaseConnection,
    id: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = session::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id),
        data: Set(data.to_owned()),
        expires_at: Set(expires_at),
    };
    // A plain insert: the primary key refuses a duplicate id on every backend (sea-query's
    // `DO NOTHING` has no portable MySQL spelling).
    match session::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(err) => Err(err),
    }
}

pub async fn delete(db: &DatabaseConnection, id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(())
}

/// The sessions of a user that have not expired, in no particular order.
pub async fn list_for_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<session::Model>, DbErr> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .all(db)
        .await
}

/// Ends every session of a user except `keep` (the one making the request, if any).
pub async fn delete_for_user(
    db: &DatabaseConnection,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, DbErr> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Removes expired sessions; run periodically.
pub async fn delete_expired(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
