//! What the public site reads: published items, categories with their counts, the feed.
//! Drafts are filtered here for the public; staff previews ask for them explicitly.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::item::PUBLISHED;
use crate::entities::{category, item};

/// An item as lists show it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct ItemCard {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub image_key: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub category_slug: String,
    pub category_name: String,
}

fn published_cards() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((item::Entity, item::Column::Id))
        .column((item::Entity, item::Column::Title))
        .column((item::Entity, item::Column::Slug))
        .column((item::Entity, item::Column::Summary))
        .column((item::Entity, item::Column::ImageKey))
        .column((item::Entity, item::Column::PublishedAt))
        .expr_as(
            Expr::col((category::Entity, category::Column::Slug)),
            "category_slug",
        )
        .expr_as(
            Expr::col((category::Entity, category::Column::Name)),
            "category_name",
        )
        .from(item::Entity)
        .inner_join(
            category::Entity,
            Expr::col((category::Entity, category::Column::Id))
                .equals((item::Entity, item::Column::CategoryId)),
        )
        .and_where(Expr::col((item::Entity, item::Column::Status)).eq(PUBLISHED))
        .order_by((item::Entity, item::Column::PublishedAt), sea_orm::Order::Desc)
        .order_by((item::Entity, item::Column::Id), sea_orm::Order::Desc)
        .take()
}

/// The newest published items of the whole site.
pub async fn latest(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<ItemCard>, DbErr> {
    let query = published_cards().limit(limit).take();
    ItemCard::find_by_statement(conn.get_database_backend().build(&query))
        .all(conn)
        .await
}

/// One page of a category's published items, newest first, and how many there are in all.
pub async fn category_items(
    conn: &impl ConnectionTrait,
    category_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(Vec<ItemCard>, u64), DbErr> {
    let total = item::Entity::find()
        .filter(item::Column::CategoryId.eq(category_id))
        .filter(item::Column::Status.eq(PUBLISHED))
        .count(conn)
        .await?;
    let query = published_cards()
        .and_where(Expr::col((item::Entity, item::Column::CategoryId)).eq(category_id))
        .limit(per_page)
        .offset(page.saturating_sub(1) * per_page)
        .take();
    let items = ItemCard::find_by_statement(conn.get_database_backend().build(&query))
        .all(conn)
        .await?;
    Ok((items, total))
}

/// The category's other published items, for the item page's sidebar.
pub async fn sidebar(
    conn: &impl ConnectionTrait,
    category_id: i64,
    except_item: i64,
    limit: u64,
) -> Result<Vec<ItemCard>, DbErr> {
    let query = published_cards()
        .and_where(Expr::col((item::Entity, item::Column::CategoryId)).eq(category_id))
        .and_where(Expr::col((item::Entity, item::Column::Id)).ne(except_item))
        .limit(limit)
        .take();
    ItemCard::find_by_statement(conn.get_database_backend().build(&query))
        .all(conn)
        .await
}

/// A category with the number of its published items.
#[derive(Clone, Debug)]
pub struct CategoryCard {
    pub category: category::Model,
    pub item_count: i64,
}

/// Every category in display order, with its published item count.
pub async fn categories(conn: &impl ConnectionTrait) -> Result<Vec<CategoryCard>, DbErr> {
    let categories = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(conn)
        .await?;
    let counts: Vec<(i64, i64)> = item::Entity::find()
        .select_only()
        .column(item::Column::CategoryId)
        .column_as(item::Column::Id.count(), "n")
        .filter(item::Column::Status.eq(PUBLISHED))
        .group_by(item::Column::CategoryId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(categories
        .into_iter()
        .map(|category| {
            let item_count = counts
                .iter()
                .find(|(id, _)| *id == category.id)
                .map_or(0, |(_, n)| *n);
            CategoryCard { category, item_count }
        })
        .collect())
}

pub async fn category_by_slug(
    conn: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<category::Model>, DbErr> {
    category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(conn)
        .await
}

/// The item with this slug in this category, draft or not (the caller decides who may see a
/// draft).
pub async fn item_in_category(
    conn: &impl ConnectionTrait,
    category_id: i64,
    slug: &str,
) -> Result<Option<item::Model>, DbErr> {
    item::Entity::find()
        .filter(item::Column::CategoryId.eq(category_id))
        .filter(item::Column::Slug.eq(slug))
        .one(conn)
        .await
}

/// A feed entry: a card with its rendered body.
#[derive(Clone, Debug)]
pub struct FeedEntry {
    pub card: ItemCard,
    pub body_html: String,
    pub updated_at: DateTime<Utc>,
}

/// The newest published items with their bodies, for the Atom feed.
pub async fn feed(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<FeedEntry>, DbErr> {
    let cards = latest(conn, limit).await?;
    let ids: Vec<i64> = cards.iter().map(|card| card.id).collect();
    let bodies: Vec<(i64, String, DateTime<Utc>)> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::BodyHtml)
        .column(item::Column::UpdatedAt)
        .filter(item::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(cards
        .into_iter()
        .filter_map(|card| {
            let (_, body_html, updated_at) = bodies.iter().find(|(id, _, _)| *id == card.id)?.clone();
            Some(FeedEntry {
                card,
                body_html,
                updated_at,
            })
        })
        .collect())
}

/// The published items just before and just after `item` in publication order (by
/// `published_at`, ties broken by id) across the whole site: `(older, newer)`, for the item
/// page's previous and next links. A draft has neither.
pub async fn neighbours(
    conn: &impl ConnectionTrait,
    item: &item::Model,
) -> Result<(Option<ItemCard>, Option<ItemCard>), DbErr> {
    let Some(at) = item.published_at else {
        return Ok((None, None));
    };
    let published_at = || Expr::col((item::Entity, item::Column::PublishedAt));
    let id = || Expr::col((item::Entity, item::Column::Id));
    let older = published_cards()
        .cond_where(
            Condition::any()
                .add(published_at().lt(at))
                .add(Condition::all().add(published_at().eq(at)).add(id().lt(item.id))),
        )
        .limit(1)
        .take();
    let newer = published_cards()
        .cond_where(
            Condition::any()
                .add(published_at().gt(at))
                .add(Condition::all().add(published_at().eq(at)).add(id().gt(item.id))),
        )
        .clear_order_by()
        .order_by((item::Entity, item::Column::PublishedAt), sea_orm::Order::Asc)
        .order_by((item::Entity, item::Column::Id), sea_orm::Order::Asc)
        .limit(1)
        .take();
    let backend = conn.get_database_backend();
    let older = ItemCard::find_by_statement(backend.build(&older))
        .one(conn)
        .await?;
    let newer = ItemCard::find_by_statement(backend.build(&newer))
        .one(conn)
        .await?;
    Ok((older, newer))
}

/// A published item's address and last change, for the sitemap.
#[derive(Clone, Debug, FromQueryResult)]
pub struct SitemapItem {
    pub slug: String,
    pub category_slug: String,
    pub updated_at: DateTime<Utc>,
}

/// The newest `limit` published items, for the sitemap (a sitemap file holds at most 50,000
/// addresses).
pub async fn sitemap_items(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<SitemapItem>, DbErr> {
    let query = published_cards()
        .column((item::Entity, item::Column::UpdatedAt))
        .limit(limit)
        .take();
    SitemapItem::find_by_statement(conn.get_database_backend().build(&query))
        .all(conn)
        .await
}

/// A page of the API's item list: the items whose status is one of `statuses` (the caller says
/// which it may see), optionally of one category, newest first (by publication time, else
/// creation time), and how many there are in all.
pub async fn items_page(
    conn: &impl ConnectionTrait,
    statuses: &[&str],
    category_id: Option<i64>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<item::Model>, u64), DbErr> {
    let mut select = item::Entity::find().filter(item::Column::Status.is_in(statuses.iter().copied()));
    if let Some(category_id) = category_id {
        select = select.filter(item::Column::CategoryId.eq(category_id));
    }
    let total = select.clone().count(conn).await?;
    let newest = Expr::col(item::Column::PublishedAt).if_null(Expr::col(item::Column::CreatedAt));
    let rows = select
        .order_by(newest, sea_orm::Order::Desc)
        .order_by_desc(item::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Item `id` if its status is one of `statuses`.
pub async fn item_with_status(
    conn: &impl ConnectionTrait,
    id: i64,
    statuses: &[&str],
) -> Result<Option<item::Model>, DbErr> {
    item::Entity::find_by_id(id)
        .filter(item::Column::Status.is_in(statuses.iter().copied()))
        .one(conn)
        .await
}
