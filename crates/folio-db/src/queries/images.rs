//! Image rows and which category or item shows them. Storage objects are not touched here:
//! the caller enqueues the jobs that make or delete them in the same transaction.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::entities::{category, image, item};

/// A stored original, as the upload produced it.
#[derive(Clone, Debug)]
pub struct NewImage {
    pub key: String,
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub byte_size: u64,
}

/// What an image belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Category(i64),
    Item(i64),
}

pub async fn insert(conn: &impl ConnectionTrait, new: &NewImage) -> Result<image::Model, DbErr> {
    let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    image::ActiveModel {
        key: Set(new.key.clone()),
        format: Set(new.format.clone()),
        width: Set(clamp(new.width)),
        height: Set(clamp(new.height)),
        byte_size: Set(i64::try_from(new.byte_size).unwrap_or(i64::MAX)),
        renditions_ready: Set(false),
        rendition_extras: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn find(conn: &impl ConnectionTrait, key: &str) -> Result<Option<image::Model>, DbErr> {
    image::Entity::find()
        .filter(image::Column::Key.eq(key))
        .one(conn)
        .await
}

/// The rows of `keys` (in no particular order; missing keys are simply absent).
pub async fn find_many(conn: &impl ConnectionTrait, keys: &[String]) -> Result<Vec<image::Model>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    image::Entity::find()
        .filter(image::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await
}

/// Records that the renditions of `key` exist, with its `extras` (see `image::Model`). False
/// when the image was deleted meanwhile (the caller then removes what it just stored).
pub async fn mark_ready(conn: &impl ConnectionTrait, key: &str, extras: &str) -> Result<bool, DbErr> {
    let result = image::Entity::update_many()
        .col_expr(image::Column::RenditionsReady, Expr::value(true))
        .col_expr(image::Column::RenditionExtras, Expr::value(extras.to_owned()))
        .filter(image::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes the row of `key`; false when it was already gone.
pub async fn delete(conn: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    let result = image::Entity::delete_many()
        .filter(image::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The image `owner` shows now, read with a row lock (`FOR UPDATE` on PostgreSQL and MySQL;
/// SQLite's writer lock serialises instead), so that two saves replacing the same image can't
/// both take the old one for theirs and leave the other's orphaned.
pub async fn current_key(conn: &impl ConnectionTrait, owner: Owner) -> Result<Option<String>, DbErr> {
    let key = match owner {
        Owner::Category(id) => category::Entity::find_by_id(id)
            .lock_exclusive()
            .one(conn)
            .await?
            .and_then(|row| row.image_key),
        Owner::Item(id) => item::Entity::find_by_id(id)
            .lock_exclusive()
            .one(conn)
            .await?
            .and_then(|row| row.image_key),
    };
    Ok(key)
}

/// Points `owner` at image `key` (or at none), stamping `updated_at`.
pub async fn attach(conn: &impl ConnectionTrait, owner: Owner, key: Option<&str>) -> Result<(), DbErr> {
    let key = key.map(str::to_owned);
    let now = Utc::now();
    match owner {
        Owner::Category(id) => {
            category::Entity::update_many()
                .col_expr(category::Column::ImageKey, Expr::value(key))
                .col_expr(category::Column::UpdatedAt, Expr::value(now))
                .filter(category::Column::Id.eq(id))
                .exec(conn)
                .await?
        }
        Owner::Item(id) => {
            item::Entity::update_many()
                .col_expr(item::Column::ImageKey, Expr::value(key))
                .col_expr(item::Column::UpdatedAt, Expr::value(now))
                .filter(item::Column::Id.eq(id))
                .exec(conn)
                .await?
        }
    };
    Ok(())
}
