//! The `items` table as staff and the worker use it: the admin list, the writes, and the
//! view counts. Publishing is decided here (the status change and `published_at`); the caller
//! enqueues the notification in the same transaction when [`Saved::published_now`] says so,
//! and the `publish_scheduled` job when [`Saved::scheduled_for`] does.
//! The public site's reads (published items with their category) are in `site`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::list::{self, ListRequest, Page, sort_columns};
use super::write_error::{self, Taken, WriteError};
use crate::entities::item::{self, DRAFT, PUBLISHED, SCHEDULED};

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
    /// [`DRAFT`], [`PUBLISHED`] or [`SCHEDULED`].
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

/// How many items have `status` ([`DRAFT`], [`PUBLISHED`] or [`SCHEDULED`]).
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

/// When an item is (or becomes) visible to the public.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publication {
    Draft,
    /// Published now (or kept published).
    Now,
    /// Published by the `publish_scheduled` job at this time.
    At(DateTime<Utc>),
}

impl Publication {
    fn status(self) -> &'static str {
        match self {
            Self::Draft => DRAFT,
            Self::Now => PUBLISHED,
            Self::At(_) => SCHEDULED,
        }
    }
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
    /// The image's description (alt text); empty when there is none.
    pub image_alt: String,
    pub publication: Publication,
}

/// The saved row, and what this save set in motion.
#[derive(Clone, Debug)]
pub struct Saved {
    pub item: item::Model,
    /// This save moved it from draft or scheduled (or nothing) to published: notify.
    pub published_now: bool,
    /// This save scheduled it, or moved its time: enqueue the publication for then.
    pub scheduled_for: Option<DateTime<Utc>>,
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
        image_alt: Set(fields.image_alt.clone()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

pub async fn create(conn: &impl ConnectionTrait, fields: &ItemFields) -> Result<Saved, WriteError> {
    let now = Utc::now();
    let published_at = match fields.publication {
        Publication::Draft => None,
        Publication::Now => Some(now),
        Publication::At(at) => Some(at),
    };
    let row = item::ActiveModel {
        image_key: Set(None),
        status: Set(fields.publication.status().to_owned()),
        published_at: Set(published_at),
        view_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..edited(fields)
    };
    let item = row.insert(conn).await.map_err(WriteError::from)?;
    Ok(Saved {
        item,
        published_now: fields.publication == Publication::Now,
        scheduled_for: scheduled_time(fields.publication),
    })
}

fn scheduled_time(publication: Publication) -> Option<DateTime<Utc>> {
    match publication {
        Publication::At(at) => Some(at),
        Publication::Draft | Publication::Now => None,
    }
}

/// Saves the edited fields of item `id`, then moves its publication. `published_now` is true
/// only when this statement moved it to published: the status change is conditional on the
/// old status, so of two concurrent publishes only one sees a changed row (and enqueues a
/// notification). `scheduled_for` is set when the schedule changed. `image_key` and
/// `view_count` are left alone.
pub async fn update(conn: &impl ConnectionTrait, id: i64, fields: &ItemFields) -> Result<Saved, WriteError> {
    let row = item::ActiveModel {
        id: Set(id),
        ..edited(fields)
    };
    let mut item = row.update(conn).await.map_err(WriteError::from)?;
    let changed = set_publication(conn, id, fields.publication).await?;
    if changed {
        item = find(conn, id)
            .await?
            .ok_or(DbErr::RecordNotFound("item".into()))?;
    }
    Ok(Saved {
        item,
        published_now: changed && fields.publication == Publication::Now,
        scheduled_for: scheduled_time(fields.publication).filter(|_| changed),
    })
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<item::Model>, DbErr> {
    item::Entity::find_by_id(id).one(conn).await
}

pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<item::Model>, DbErr> {
    list::with_ids::<item::Entity>(conn, item::Column::Id, ids).await
}

/// Publishes (`true`) or unpublishes item `id` now; see [`set_publication`].
pub async fn set_status(conn: &impl ConnectionTrait, id: i64, published: bool) -> Result<bool, DbErr> {
    let publication = if published {
        Publication::Now
    } else {
        Publication::Draft
    };
    set_publication(conn, id, publication).await
}

/// Moves item `id` to `publication`. Returns whether the row changed (false when it already
/// was so, or is gone). `published_at` is set on the first publication and kept after that,
/// so unpublishing and publishing again does not move the item in the feed; a scheduled
/// item's time is not a publication: published now, it takes the current time, and made a
/// draft, it has none.
pub async fn set_publication(
    conn: &impl ConnectionTrait,
    id: i64,
    publication: Publication,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let was_scheduled = || item::Column::Status.eq(SCHEDULED);
    let published_at: SimpleExpr = match publication {
        Publication::Draft => Expr::case(was_scheduled(), Expr::value(Option::<DateTime<Utc>>::None))
            .finally(Expr::col(item::Column::PublishedAt))
            .into(),
        Publication::Now => Expr::case(was_scheduled(), Expr::value(now))
            .finally(item::Column::PublishedAt.if_null(now))
            .into(),
        Publication::At(at) => Expr::value(at),
    };
    let mut update = item::Entity::update_many()
        .col_expr(item::Column::PublishedAt, published_at)
        .col_expr(item::Column::Status, Expr::value(publication.status()))
        .col_expr(item::Column::UpdatedAt, Expr::value(now))
        .filter(item::Column::Id.eq(id));
    update = match publication {
        Publication::At(at) => update.filter(
            item::Column::Status
                .ne(SCHEDULED)
                .or(item::Column::PublishedAt.ne(at))
                .or(item::Column::PublishedAt.is_null()),
        ),
        _ => update.filter(item::Column::Status.ne(publication.status())),
    };
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// Publishes item `id` if it is scheduled for `now` or earlier; returns whether it did. Only
/// one caller sees `true` for a scheduled time, however many jobs were queued for it.
pub async fn publish_due(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::value(PUBLISHED))
        .col_expr(item::Column::UpdatedAt, Expr::value(now))
        .filter(item::Column::Id.eq(id))
        .filter(item::Column::Status.eq(SCHEDULED))
        .filter(item::Column::PublishedAt.lte(now))
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
