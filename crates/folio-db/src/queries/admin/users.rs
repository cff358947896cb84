//! Staff actions on accounts and on other admin-managed rows (subscribers, contact messages,
//! jobs): small conditional updates and deletes that report whether a row changed.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entities::{contact_message, job, subscriber, user};

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
    Ok(result.rows_affected == 1)
}

pub async fn delete_subscriber(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = subscriber::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_contact_message(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = contact_message::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Deletes a job that is not running: a running job belongs to a worker, which would finish
/// or fail a row that no longer exists.
pub async fn delete_job(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = job::Entity::delete_many()
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.ne(job::RUNNING))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
