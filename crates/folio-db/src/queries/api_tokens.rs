//! Personal access tokens: made and revoked in Settings, checked on every API request.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef, Set,
};

use crate::entities::{api_token, user};

/// How often the last-used time is written: once a minute at most, so a busy token costs no
/// write per request.
const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// What Settings submits for a new token, already validated.
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub name: &'a str,
    /// The SHA-256 hex of the whole token.
    pub token_hash: &'a str,
    pub hint: &'a str,
    pub can_write: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn create(
    db: &DatabaseConnection,
    user_id: i64,
    new: NewToken<'_>,
) -> Result<api_token::Model, DbErr> {
    api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(new.name.to_owned()),
        token_hash: Set(new.token_hash.to_owned()),
        hint: Set(new.hint.to_owned()),
        can_write: Set(new.can_write),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The user's tokens that are not revoked, newest first (expired ones included, marked so).
pub async fn list_for_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Revokes one of the user's tokens; false when it is not theirs or already revoked.
pub async fn revoke(db: &DatabaseConnection, user_id: i64, token_id: i64) -> Result<bool, DbErr> {
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every token of the user: a password change or reset, or a deactivation.
pub async fn revoke_all_for_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Who a usable token speaks for.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: i64,
    pub email: String,
    pub is_staff: bool,
    pub can_write: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn token_user() -> RelationDef {
    api_token::Entity::belongs_to(user::Entity)
        .from(api_token::Column::UserId)
        .to(user::Column::Id)
        .into()
}

/// The owner of the token with this digest, when it is neither revoked nor expired and its
/// user is active: one indexed lookup.
pub async fn authenticate(db: &DatabaseConnection, token_hash: &str) -> Result<Option<TokenOwner>, DbErr> {
    let now = Utc::now();
    api_token::Entity::find()
        .select_only()
        .column_as(api_token::Column::Id, "token_id")
        .column(api_token::Column::UserId)
        .column(user::Column::Email)
        .column(user::Column::IsStaff)
        .column(api_token::Column::CanWrite)
        .column(api_token::Column::ExpiresAt)
        .column(api_token::Column::LastUsedAt)
        .join(JoinType::InnerJoin, token_user())
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_token::Column::ExpiresAt.is_null())
                .add(api_token::Column::ExpiresAt.gt(now)),
        )
        .filter(user::Column::IsActive.eq(true))
        .into_model::<TokenOwner>()
        .one(db)
        .await
}

/// Records that the token was used now, unless that was already recorded within the last
/// minute (see [`LAST_USED_RESOLUTION`]). Returns the time written, if it wrote.
pub async fn touch(db: &DatabaseConnection, owner: &TokenOwner) -> Result<Option<DateTime<Utc>>, DbErr> {
    let now = Utc::now();
    if owner
        .last_used_at
        .is_some_and(|last| now - last < LAST_USED_RESOLUTION)
    {
        return Ok(None);
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(owner.token_id))
        .exec(db)
        .await?;
    Ok(Some(now))
}
