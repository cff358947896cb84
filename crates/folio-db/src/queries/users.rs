use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QuerySelect, Select, Set, SqlErr,
};

use super::list::{self, ListRequest, Page, sort_columns};
use crate::entities::user;
use crate::lookalike::lookalike_key;

sort_columns! {
    /// The columns the admin's user list sorts by.
    UserSort for user {
        Email => Email,
        CreatedAt => CreatedAt,
        Id => Id,
    }
}

/// A user as the admin shows it: everything but the password hash.
#[derive(Clone, Debug, FromQueryResult)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub is_staff: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

/// The columns of [`UserRow`]: the hash is never even read.
fn without_hash() -> Select<user::Entity> {
    user::Entity::find().select_only().columns([
        user::Column::Id,
        user::Column::Email,
        user::Column::IsStaff,
        user::Column::IsActive,
        user::Column::CreatedAt,
    ])
}

/// The admin list's filters; `None` is "all".
#[derive(Clone, Copy, Debug, Default)]
pub struct UserFilter {
    pub is_staff: Option<bool>,
    pub is_active: Option<bool>,
}

/// One page of the admin's user list; the search looks at the email.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: UserFilter,
    request: &ListRequest<UserSort>,
) -> Result<Page<UserRow>, DbErr> {
    let mut select = without_hash();
    if let Some(value) = filter.is_staff {
        select = select.filter(user::Column::IsStaff.eq(value));
    }
    if let Some(value) = filter.is_active {
        select = select.filter(user::Column::IsActive.eq(value));
    }
    list::fetch(conn, select, &[user::Column::Email], request, user::Column::Id).await
}

/// User `id` without its password hash.
pub async fn find_row(conn: &impl ConnectionTrait, id: i64) -> Result<Option<UserRow>, DbErr> {
    without_hash()
        .filter(user::Column::Id.eq(id))
        .into_model::<UserRow>()
        .one(conn)
        .await
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find().count(conn).await
}

/// The active staff, by id: who hears of a contact message.
pub async fn active_staff(conn: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    use sea_orm::QueryOrder;
    user::Entity::find()
        .filter(user::Column::IsStaff.eq(true))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// The unique index on `users.email` refused the row: this is the single place where a
    /// duplicate sign-up is detected, so two simultaneous sign-ups can't both succeed.
    #[error("a user with this email already exists")]
    EmailTaken,
    /// Another account's address reads the same ([`crate::lookalike`]).
    #[error("a user with an email that looks the same already exists")]
    LooksLikeAnother,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Inserts a user. `email` must already be normalised (NFKC, lower-cased) by the caller's
/// domain type. An address that reads the same as another account's is refused; two such
/// sign-ups at the same moment can both pass the check (the key is not unique, as rows from
/// before it was kept may already share one), which is rare and harmless beside the email's
/// own unique index.
pub async fn create(
    db: &DatabaseConnection,
    email: &str,
    password_hash: &str,
    is_staff: bool,
) -> Result<user::Model, CreateUserError> {
    let key = lookalike_key(email);
    let lookalike = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .filter(user::Column::EmailLookalikeKey.eq(key.as_str()))
        .into_tuple::<String>()
        .one(db)
        .await?;
    match lookalike {
        Some(existing) if existing == email => return Err(CreateUserError::EmailTaken),
        Some(_) => return Err(CreateUserError::LooksLikeAnother),
        None => {}
    }
    let row = user::ActiveModel {
        email: Set(email.to_owned()),
        email_lookalike_key: Set(Some(key)),
        password_hash: Set(password_hash.to_owned()),
        is_staff: Set(is_staff),
        is_active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    row.insert(db).await.map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CreateUserError::EmailTaken,
        _ => CreateUserError::Db(err),
    })
}

/// Fills the look-alike key of rows that have none (written before it was kept, or by the
/// release before during a deploy); returns how many were filled.
pub async fn fill_lookalike_keys(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let missing: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::EmailLookalikeKey.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (id, email) in &missing {
        user::Entity::update_many()
            .col_expr(user::Column::EmailLookalikeKey, Expr::value(lookalike_key(email)))
            .filter(user::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    Ok(u64::try_from(missing.len()).unwrap_or(u64::MAX))
}

pub async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn find_by_id(db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub async fn set_password_hash(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    password_hash: &str,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(password_hash),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    // A new password ends every API token too: whoever knew the old one may have made some.
    super::api_tokens::revoke_all_for_user(db, id).await?;
    // And every reset link still out: the newest one redeemed, or a change in Settings, leaves
    // none of the others working.
    super::password_resets::end_all_for_user(db, id).await?;
    Ok(())
}

/// Sets `is_staff`; false when the user is gone or already had that value.
pub async fn set_staff(conn: &impl ConnectionTrait, id: i64, is_staff: bool) -> Result<bool, DbErr> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::IsStaff, Expr::value(is_staff))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::IsStaff.eq(!is_staff))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets `is_active`; false when the user is gone or already had that value.
pub async fn set_active(conn: &impl ConnectionTrait, id: i64, is_active: bool) -> Result<bool, DbErr> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(is_active))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::IsActive.eq(!is_active))
        .exec(conn)
        .await?;
    if !is_active {
        // Deactivation ends API access for good: reactivating does not bring old tokens back.
        super::api_tokens::revoke_all_for_user(conn, id).await?;
    }
    Ok(result.rows_affected == 1)
}
