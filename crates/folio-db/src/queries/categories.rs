//! The `categories` table as staff and the worker use it: the admin list, the writes, and
//! look-ups. The public site's reads (with item counts) are in `site`.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::list::{self, ListRequest, Page, sort_columns};
use super::write_error::{self, Taken, WriteError};
use crate::entities::{category, item};

sort_columns! {
    /// The columns the admin's category list sorts by.
    CategorySort for category {
        Name => Name,
        Slug => Slug,
        Position => Position,
        UpdatedAt => UpdatedAt,
    }
}

/// One page of the admin's category list; the search looks at the name and slug.
pub async fn list(
    conn: &impl ConnectionTrait,
    request: &ListRequest<CategorySort>,
) -> Result<Page<category::Model>, DbErr> {
    let searched = [category::Column::Name, category::Column::Slug];
    list::fetch(
        conn,
        category::Entity::find(),
        &searched,
        request,
        category::Column::Id,
    )
    .await
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    category::Entity::find().count(conn).await
}

pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<category::Model>, DbErr> {
    list::with_ids::<category::Entity>(conn, category::Column::Id, ids).await
}

/// A category as the form validated it.
#[derive(Clone, Debug)]
pub struct CategoryFields {
    pub name: String,
    pub slug: String,
    pub summary: String,
    pub position: i32,
    /// The image's description (alt text); empty when there is none.
    pub image_alt: String,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    fields: &CategoryFields,
) -> Result<category::Model, WriteError> {
    let now = Utc::now();
    let row = category::ActiveModel {
        name: Set(fields.name.clone()),
        slug: Set(fields.slug.clone()),
        summary: Set(fields.summary.clone()),
        image_key: Set(None),
        image_alt: Set(fields.image_alt.clone()),
        position: Set(fields.position),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    row.insert(conn).await.map_err(WriteError::from)
}

/// Updates the fields staff edit; `image_key` is left alone (images have their own upload).
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    fields: &CategoryFields,
) -> Result<category::Model, WriteError> {
    let row = category::ActiveModel {
        id: Set(id),
        name: Set(fields.name.clone()),
        slug: Set(fields.slug.clone()),
        summary: Set(fields.summary.clone()),
        position: Set(fields.position),
        image_alt: Set(fields.image_alt.clone()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    row.update(conn).await.map_err(WriteError::from)
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find_by_id(id).one(conn).await
}

/// Every category by position then name: for the item form's select and the list filter.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<category::Model>, DbErr> {
    category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(conn)
        .await
}

pub async fn count_items(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbErr> {
    item::Entity::find()
        .filter(item::Column::CategoryId.eq(id))
        .count(conn)
        .await
}

/// How many items each of `ids` has (categories without items are absent), in one query.
pub async fn item_counts(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, i64)>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    item::Entity::find()
        .select_only()
        .column(item::Column::CategoryId)
        .column_as(item::Column::Id.count(), "n")
        .filter(item::Column::CategoryId.is_in(ids.iter().copied()))
        .group_by(item::Column::CategoryId)
        .into_tuple()
        .all(conn)
        .await
}

/// Why a category was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// Items still point at it; staff must move or delete them first.
    #[error("the category still has {0} items")]
    HasItems(u64),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Deletes a category that has no items. Run it in a transaction: the count and the delete
/// should see the same rows, and the foreign key (`ON DELETE RESTRICT`) refuses the delete
/// anyway if an item slips in between.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DeleteError> {
    let items = count_items(conn, id).await?;
    if items > 0 {
        return Err(DeleteError::HasItems(items));
    }
    let result = category::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Which of `name` and `slug` another category (not `except`) already has (see
/// [`write_error::taken`](super::write_error::taken)).
pub async fn taken(
    conn: &impl ConnectionTrait,
    name: &str,
    slug: &str,
    except: Option<i64>,
) -> Result<Vec<Taken>, DbErr> {
    write_error::taken::<category::Entity>(
        conn,
        (category::Column::Name, name),
        (category::Column::Slug, slug),
        category::Column::Id,
        except,
    )
    .await
}
