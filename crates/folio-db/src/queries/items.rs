//! The `items` table as staff and the worker use it: the admin list, the writes, and the
//! view counts. Publishing is decided here (the status change and `published_at`); the caller
//! enqueues the notification in the same transaction when [`Saved::published_now`] says so.
//! The public site's reads (published items with their category) are in `site`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::list::{self, ListRequest, Page, sort_columns};
use super::write_error::{self, Taken, WriteError};
use crate::entities::item::{self, DRAFT, PUBLISHED};

sort_columns! {
    /// The columns the admin's item list sorts by.
    ItemSort for item {
        Title => Title,
        Status => Status,
        PublishedAt => PublishedAt,
        Views => ViewCount,
        UpdatedAt => UpdatedAt,
    }
}

/// The admin list's filters; `None` is "all".
#[derive(Clone, Copy, Debug, Default)]
pub struct ItemFilter {
    /// [`DRAFT`] or [`PUBLISHED`].
    pub status: Option<&'static str>,
    pub category_id: Option<i64>,
}

/// One page of the admin's item list; the search looks at the title, slug and summary.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: ItemFilter,
    request: &ListRequest<ItemSort>,
) -> Result<Page<item::Model>, DbErr> {
    let mut select = item::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(item::Column::Status.eq(status));
    }
    if let Some(category) = filter.category_id {
        select = select.filter(item::Column::CategoryId.eq(category));
    }
    let searched = [item::Column::Title, item::Column::Slug, item::Column::Summary];
    list::fetch(conn, select, &searched, request, item::Column::Id).await
}

/// Up to `limit` items of category `category_id`, by title (what keeps it from being deleted).
pub async fn in_category(
    conn: &impl ConnectionTrait,
    category_id: i64,
    limit: u64,
) -> Result<Vec<item::Model>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    item::Entity::find()
        .filter(item::Column::CategoryId.eq(category_id))
        .order_by_asc(item::Column::Title)
        .limit(limit)
        .all(conn)
        .await
}

/// How many items have `status` ([`DRAFT`] or [`PUBLISHED`]).
pub async fn count_with_status(conn: &impl ConnectionTrait, status: &str) -> Result<u64, DbErr> {
    item::Entity::find()
        .filter(item::Column::Status.eq(status))
        .count(conn)
        .await
}

/// Adds `views` to item `id`'s view count (in the caller's transaction; a gone item is
/// skipped).
pub async fn add_views(conn: &impl ConnectionTrait, id: i64, views: i64) -> Result<(), DbErr> {
    item::Entity::update_many()
        .col_expr(
            item::Column::ViewCount,
            Expr::col(item::Column::ViewCount).add(views),
        )
        .filter(item::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// An item as the form validated it.
#[derive(Clone, Debug)]
pub struct ItemFields {
    pub category_id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub body_html: String,
    pub published: bool,
}

/// The saved row, and whether this save moved it from draft (or nothing) to published.
#[derive(Clone, Debug)]
pub struct Saved {
    pub item: item::Model,
    pub published_now: bool,
}

fn status(published: bool) -> String {
    if published { PUBLISHED } else { DRAFT }.to_owned()
}

/// The columns the item form edits, stamped `updated_at` now; the rest stay unset.
fn edited(fields: &ItemFields) -> item::ActiveModel {
    item::ActiveModel {
        category_id: Set(fields.category_id),
        title: Set(fields.title.clone()),
        slug: Set(fields.slug.clone()),
        summary: Set(fields.summary.clone()),
        body: Set(fields.body.clone()),
        body_html: Set(fields.body_html.clone()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

pub async fn create(conn: &impl ConnectionTrait, fields: &ItemFields) -> Result<Saved, WriteError> {
    let now = Utc::now();
    let row = item::ActiveModel {
        image_key: Set(None),
        status: Set(status(fields.published)),
        published_at: Set(fields.published.then_some(now)),
        view_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..edited(fields)
    };
    let item = row.insert(conn).await.map_err(WriteError::from)?;
    Ok(Saved {
        item,
        published_now: fields.published,
    })
}

/// Saves the edited fields of item `id`, then moves its status. `published_now` is true only
/// when this statement moved it from draft to published: the status change is conditional on
/// the old status, so of two concurrent publishes only one sees a changed row (and enqueues a
/// notification). `image_key` and `view_count` are left alone.
pub async fn update(conn: &impl ConnectionTrait, id: i64, fields: &ItemFields) -> Result<Saved, WriteError> {
    let row = item::ActiveModel {
        id: Set(id),
        ..edited(fields)
    };
    let mut item = row.update(conn).await.map_err(WriteError::from)?;
    let status_changed = set_status(conn, id, fields.published).await?;
    if status_changed {
        item = find(conn, id)
            .await?
            .ok_or(DbErr::RecordNotFound("item".into()))?;
    }
    let published_now = status_changed && fields.published;
    Ok(Saved { item, published_now })
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<item::Model>, DbErr> {
    item::Entity::find_by_id(id).one(conn).await
}

pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<item::Model>, DbErr> {
    list::with_ids::<item::Entity>(conn, item::Column::Id, ids).await
}

/// Changes item `id`'s status. Returns whether the row changed (false when it already had
/// that status, or is gone). `published_at` is set on the first publication and kept after
/// that, so unpublishing and publishing again does not move the item in the feed.
pub async fn set_status(conn: &impl ConnectionTrait, id: i64, published: bool) -> Result<bool, DbErr> {
    let now = Utc::now();
    let mut update = item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::value(status(published)))
        .col_expr(item::Column::UpdatedAt, Expr::value(now));
    if published {
        update = update.col_expr(item::Column::PublishedAt, item::Column::PublishedAt.if_null(now));
    }
    let result = update
        .filter(item::Column::Id.eq(id))
        .filter(item::Column::Status.eq(status(!published)))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = item::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Which of `name` and `slug` another item (not `except`) already has (see
/// [`write_error::taken`](super::write_error::taken)).
pub async fn taken(
    conn: &impl ConnectionTrait,
    name: &str,
    slug: &str,
    except: Option<i64>,
) -> Result<Vec<Taken>, DbErr> {
    write_error::taken::<item::Entity>(
        conn,
        (item::Column::Title, name),
        (item::Column::Slug, slug),
        item::Column::Id,
        except,
    )
    .await
}
