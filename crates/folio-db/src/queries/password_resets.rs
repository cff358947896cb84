use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::entities::{password_reset, session};
use crate::queries::users;

/// Records a reset link by the SHA-256 hex of its token.
pub async fn create(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    password_reset::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_owned()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Ends every unused link of a user: once the password is new, a link asked for before has
/// nothing left to reset (and whoever asked for it may not be the owner).
pub async fn end_all_for_user(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Utc::now()))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the user has a usable link made after `since`: the forgot-password form sends no
/// other while one is on its way, so asking again and again mails one link, not thousands.
pub async fn has_recent_usable(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    since: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
        .filter(password_reset::Column::CreatedAt.gt(since))
        .count(db)
        .await?;
    Ok(recent > 0)
}

/// Deletes links that can no longer be used (used, or expired) and are older than `before`:
/// they are kept a while for the record, then swept. Returns how many went.
pub async fn delete_stale(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = password_reset::Entity::delete_many()
        .filter(password_reset::Column::CreatedAt.lt(before))
        .filter(
            sea_orm::Condition::any()
                .add(password_reset::Column::UsedAt.is_not_null())
                .add(password_reset::Column::ExpiresAt.lt(Utc::now())),
        )
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The user a link belongs to, while it is unused and unexpired.
pub async fn find_usable(db: &DatabaseConnection, token_hash: &str) -> Result<Option<i64>, DbErr> {
    let row = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?;
    Ok(row.map(|row| row.user_id))
}

/// Uses a link: in one transaction, marks it used (only if it still is usable, so two
/// concurrent submissions can't both succeed), sets the new password (which ends the user's
/// other links) and ends all of the user's sessions. Returns the user id, or `None` when the link was no longer usable.
pub async fn redeem(
    db: &DatabaseConnection,
    token_hash: &str,
    password_hash: &str,
) -> Result<Option<i64>, DbErr> {
    let txn = crate::begin_write(db).await?;
    let now = Utc::now();
    let Some(row) = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(row.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(None);
    }
    users::set_password_hash(&txn, row.user_id, password_hash).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(row.user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(row.user_id))
}
