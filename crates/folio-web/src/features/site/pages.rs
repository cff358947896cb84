//! The public pages: home, categories, a category's items, an item, the Atom feed and the
//! sitemap.
//!
//! Anonymous views of these pages are served from [`SiteCache`](crate::page_cache::SiteCache) with a
//! strong ETag (so a browser or CloudFront revalidates with `If-None-Match` and gets a 304);
//! signed-in views are rendered each time and marked private, so no shared cache keeps a page
//! that shows someone's email or a staff-only draft.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use folio_db::entities::{category, item};
use folio_db::queries::site::{self, CategoryCard, FeedEntry, ItemCard};
use folio_jobs::{SiteInfo, site_urls};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::features::media::{Picture, Pictures, Size};
use crate::layout::{PageContext, render};
use crate::page_cache::CachedPage;
use crate::session::RequestContext;

/// Items per category page.
const PER_PAGE: u64 = 20;
/// Items on the home page and in the feed.
const LATEST: u64 = 10;
const FEED_ENTRIES: u64 = 20;
/// Other items in the item page's sidebar.
const SIDEBAR: u64 = 10;
/// Items in the sitemap: one sitemap file holds at most 50,000 addresses, and the home page,
/// the categories page and the categories take a few.
const SITEMAP_ITEMS: u64 = 45_000;

/// Lists may be cached by browsers and the CDN for a minute.
const LIST_CACHE: &str = "public, max-age=60";
/// Item pages are revalidated on every view (a cheap 304), so each view reaches the app and
/// is counted.
const ITEM_CACHE: &str = "public, no-cache";

#[derive(Template)]
#[template(path = "features/site/templates/home.html")]
struct HomePage {
    page: PageContext,
    canonical: String,
    items: Vec<ItemCard>,
    categories: Vec<CategoryCard>,
    pictures: Pictures,
}

#[derive(Template)]
#[template(path = "features/site/templates/categories.html")]
struct CategoriesPage {
    page: PageContext,
    canonical: String,
    description: String,
    categories: Vec<CategoryCard>,
    pictures: Pictures,
}

#[derive(Template)]
#[template(path = "features/site/templates/category.html")]
struct CategoryPage {
    page: PageContext,
    canonical: String,
    /// The category's summary, or the site's description when it has none.
    description: String,
    category: category::Model,
    items: Vec<ItemCard>,
    page_number: u64,
    pages: u64,
    pictures: Pictures,
}

#[derive(Template)]
#[template(path = "features/site/templates/item.html")]
struct ItemPage {
    page: PageContext,
    category: category::Model,
    item: item::Model,
    others: Vec<ItemCard>,
    /// The item's own image, at display size.
    picture: Option<Picture>,
    /// The absolute address of this page (`<link rel="canonical">`, `og:url`).
    canonical: String,
    /// The absolute address of the item's image, for link previews (`og:image`).
    og_image: Option<String>,
    /// The published items before and after this one, for the previous/next links.
    older: Option<ItemCard>,
    newer: Option<ItemCard>,
}

#[derive(Template)]
#[template(path = "features/site/templates/feed.xml")]
struct Feed {
    base_url: String,
    site: Arc<SiteInfo>,
    favicon_url: &'static str,
    updated: String,
    entries: Vec<FeedItem>,
}

/// One feed entry as the feed shows it: its image (absolute, as feed readers fetch it from
/// elsewhere) and its content with that image first and every site-relative link made absolute.
struct FeedItem {
    card: ItemCard,
    updated_at: chrono::DateTime<Utc>,
    image: Option<FeedImage>,
    content: String,
}

struct FeedImage {
    url: String,
    content_type: &'static str,
}

#[derive(Template)]
#[template(path = "features/site/templates/sitemap.xml")]
struct Sitemap {
    urls: Vec<SitemapUrl>,
}

struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "features/site/templates/not_found.html")]
struct NotFoundPage {
    page: PageContext,
}

/// What a handler produced: a page to send (and, for anonymous visitors, to cache).
struct Rendered {
    body: String,
    content_type: &'static str,
    cache_control: &'static str,
    item_id: Option<i64>,
}

/// Who may be served from the cache: anonymous visitors without a pending flash message.
fn cacheable(ctx: &RequestContext) -> bool {
    ctx.user.is_none() && ctx.cookies.get(crate::session::flash::COOKIE).is_none()
}

/// The page context of a site page. Site pages carry no form, so no CSRF token is made (and
/// no cookie is set on an anonymous view, which would stop the CDN from caching it).
fn site_page(ctx: &RequestContext, title: impl Into<String>) -> PageContext {
    PageContext {
        title: title.into(),
        user_email: ctx.user.as_ref().map(|user| user.email.clone()),
        flashes: ctx.take_flashes(),
        csrf_token: String::new(),
        pads: None,
        active_pad: None,
        is_staff: ctx.user.as_ref().is_some_and(|user| user.is_staff),
        knows_visitor: true,
        site: ctx.state.settings.site.clone(),
    }
}

fn etag_of(body: &str) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..12]))
}

fn respond(page: &CachedPage, headers: &HeaderMap, public: bool) -> Response {
    let cache_control = if public {
        page.cache_control
    } else {
        "private, no-store"
    };
    let mut response = if public && matches_etag(headers, &page.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, page.content_type)], page.body.clone()).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    response_headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    if public && let Ok(etag) = HeaderValue::from_str(&page.etag) {
        response_headers.insert(header::ETAG, etag);
    }
    response
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        })
}

/// Serves `key` from the cache for anonymous visitors, or renders it with `make`.
async fn cached<F, Fut>(
    ctx: &RequestContext,
    headers: &HeaderMap,
    key: String,
    make: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<Rendered>>,
{
    let public = cacheable(ctx);
    if public && let Some(page) = ctx.state.site_cache.get(&key).await {
        if let Some(id) = page.item_id {
            ctx.state.views.record(id);
        }
        return Ok(respond(&page, headers, true));
    }
    let rendered_at = ctx.state.site_cache.generation();
    let rendered = make().await?;
    if let Some(id) = rendered.item_id {
        ctx.state.views.record(id);
    }
    let page = Arc::new(CachedPage {
        etag: etag_of(&rendered.body),
        body: rendered.body,
        item_id: rendered.item_id,
        content_type: rendered.content_type,
        cache_control: rendered.cache_control,
    });
    let response = respond(&page, headers, public);
    if public {
        ctx.state.site_cache.insert(key, page, rendered_at).await;
    }
    Ok(response)
}

const HTML_TYPE: &str = "text/html; charset=utf-8";
const FEED_TYPE: &str = "application/atom+xml; charset=utf-8";
const SITEMAP_TYPE: &str = "application/xml; charset=utf-8";

fn html(template: &impl Template, cache_control: &'static str, item_id: Option<i64>) -> AppResult<Rendered> {
    let body = template
        .render()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("template: {err}")))?;
    Ok(Rendered {
        body,
        content_type: HTML_TYPE,
        cache_control,
        item_id,
    })
}

/// The site's 404 page, with a link to the site's home.
pub fn not_found(ctx: &RequestContext) -> AppError {
    let page = NotFoundPage {
        page: site_page(ctx, "Page not found"),
    };
    AppError::Page(Box::new(render(StatusCode::NOT_FOUND, &page)))
}

/// The thumbnails of a list of item cards.
async fn card_pictures(ctx: &RequestContext, cards: &[ItemCard]) -> AppResult<Pictures> {
    Pictures::load(&ctx.state, cards.iter().map(|card| &card.image_key), Size::Thumb).await
}

pub async fn home(ctx: RequestContext, headers: HeaderMap) -> AppResult<Response> {
    cached(&ctx, &headers, "home".into(), || async {
        let db = &ctx.state.db;
        let items = site::latest(db, LATEST).await?;
        let pictures = card_pictures(&ctx, &items).await?;
        let page = HomePage {
            page: site_page(&ctx, "Home"),
            canonical: absolute(&ctx, "/site/"),
            items,
            categories: site::categories(db).await?,
            pictures,
        };
        html(&page, LIST_CACHE, None)
    })
    .await
}

pub async fn categories(ctx: RequestContext, headers: HeaderMap) -> AppResult<Response> {
    cached(&ctx, &headers, "categories".into(), || async {
        let categories = site::categories(&ctx.state.db).await?;
        let keys = categories.iter().map(|card| &card.category.image_key);
        let page = CategoriesPage {
            page: site_page(&ctx, "Categories"),
            canonical: absolute(&ctx, "/site/items/"),
            description: format!("Every category of {}.", ctx.state.settings.site.name),
            pictures: Pictures::load(&ctx.state, keys, Size::Tile).await?,
            categories,
        };
        html(&page, LIST_CACHE, None)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `?page=` as a positive number; anything else is the first page.
fn page_number(query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>) -> u64 {
    query
        .ok()
        .and_then(|Query(q)| q.page)
        .and_then(|page| page.parse::<u64>().ok())
        .filter(|page| (1..=100_000).contains(page))
        .unwrap_or(1)
}

pub async fn category(
    ctx: RequestContext,
    headers: HeaderMap,
    Path(slug): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Response> {
    let page_number = page_number(query);
    let key = format!("category:{slug}:{page_number}");
    cached(&ctx, &headers, key, || async {
        let db = &ctx.state.db;
        let Some(category) = site::category_by_slug(db, &slug).await? else {
            return Err(not_found(&ctx));
        };
        let (items, total) = site::category_items(db, category.id, page_number, PER_PAGE).await?;
        let pages = total.div_ceil(PER_PAGE).max(1);
        if page_number > pages {
            return Err(not_found(&ctx));
        }
        let mut path = site_urls::category(&category.slug);
        if page_number > 1 {
            path.push_str(&format!("?page={page_number}"));
        }
        let description = if category.summary.trim().is_empty() {
            ctx.state.settings.site.description.clone()
        } else {
            category.summary.clone()
        };
        let page = CategoryPage {
            page: site_page(&ctx, category.name.clone()),
            canonical: absolute(&ctx, &path),
            description,
            pictures: card_pictures(&ctx, &items).await?,
            category,
            items,
            page_number,
            pages,
        };
        html(&page, LIST_CACHE, None)
    })
    .await
}

pub async fn item(
    ctx: RequestContext,
    headers: HeaderMap,
    Path((category_slug, item_slug)): Path<(String, String)>,
) -> AppResult<Response> {
    let key = format!("item:{category_slug}/{item_slug}");
    cached(&ctx, &headers, key, || async {
        let db = &ctx.state.db;
        let Some(category) = site::category_by_slug(db, &category_slug).await? else {
            return Err(not_found(&ctx));
        };
        let Some(item) = site::item_in_category(db, category.id, &item_slug).await? else {
            return Err(not_found(&ctx));
        };
        let is_staff = ctx.user.as_ref().is_some_and(|user| user.is_staff);
        if !item.is_published() && !is_staff {
            return Err(not_found(&ctx));
        }
        let pictures = Pictures::load(&ctx.state, [&item.image_key], Size::Display).await?;
        let picture = pictures.get(&item.image_key).cloned();
        let (older, newer) = site::neighbours(db, &item).await?;
        let page = ItemPage {
            page: site_page(&ctx, item.title.clone()),
            canonical: absolute(&ctx, &site_urls::item(&category.slug, &item.slug)),
            og_image: picture.as_ref().map(|picture| absolute(&ctx, &picture.src)),
            picture,
            older,
            newer,
            others: site::sidebar(db, category.id, item.id, SIDEBAR).await?,
            category,
            // Staff previewing a draft don't count as readers.
            item: item.clone(),
        };
        html(&page, ITEM_CACHE, item.is_published().then_some(item.id))
    })
    .await
}

pub async fn feed(ctx: RequestContext, headers: HeaderMap) -> AppResult<Response> {
    cached(&ctx, &headers, "feed".into(), || async {
        let entries = site::feed(&ctx.state.db, FEED_ENTRIES).await?;
        let updated = entries
            .iter()
            .map(|entry| entry.updated_at)
            .max()
            .unwrap_or_else(Utc::now)
            .to_rfc3339();
        let keys = entries.iter().map(|entry| &entry.card.image_key);
        let pictures = Pictures::load(&ctx.state, keys, Size::Display).await?;
        let base_url = &ctx.state.settings.base_url;
        let entries = entries
            .into_iter()
            .map(|entry| feed_item(base_url, entry, &pictures))
            .collect();
        let feed = Feed {
            base_url: base_url.clone(),
            site: ctx.state.settings.site.clone(),
            favicon_url: &crate::layout::FAVICON_URL,
            updated,
            entries,
        };
        let body = feed
            .render()
            .map_err(|err| AppError::Internal(anyhow::anyhow!("feed template: {err}")))?;
        Ok(Rendered {
            body,
            content_type: FEED_TYPE,
            cache_control: LIST_CACHE,
            item_id: None,
        })
    })
    .await
}

/// `path` (or an already absolute URL, as CDN and presigned image URLs are) on the public base
/// URL.
fn absolute(ctx: &RequestContext, path: &str) -> String {
    absolute_on(&ctx.state.settings.base_url, path)
}

fn absolute_on(base_url: &str, path: &str) -> String {
    if path.starts_with('/') && !path.starts_with("//") {
        site_urls::absolute(base_url, path)
    } else {
        path.to_owned()
    }
}

/// What a feed reader needs of one entry: absolute addresses throughout, because it shows the
/// content away from the site.
fn feed_item(base_url: &str, entry: FeedEntry, pictures: &Pictures) -> FeedItem {
    let image = pictures.get(&entry.card.image_key).map(|picture| {
        let url = absolute_on(base_url, &picture.src);
        // The JPEG rendition, or until it exists the cleaned original (JPEG or PNG).
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let content_type = if path.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        FeedImage { url, content_type }
    });
    let mut content = String::new();
    if let Some(image) = &image {
        let alt = askama::filters::escape(&entry.card.title, askama::filters::Html)
            .map(|escaped| escaped.to_string())
            .unwrap_or_default();
        let url = askama::filters::escape(&image.url, askama::filters::Html)
            .map(|escaped| escaped.to_string())
            .unwrap_or_default();
        content.push_str(&format!("<p><img src=\"{url}\" alt=\"{alt}\"></p>"));
    }
    content.push_str(&absolute_links(base_url, &entry.body_html));
    FeedItem {
        card: entry.card,
        updated_at: entry.updated_at,
        image,
        content,
    }
}

/// The body with every site-relative `src="/…"` and `href="/…"` made absolute. The body was
/// written by the sanitiser, which quotes attributes with `"` and escapes the rest, so these
/// are the only forms a relative link takes.
fn absolute_links(base_url: &str, html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = [" src=\"/", " href=\"/"]
        .iter()
        .filter_map(|needle| rest.find(needle).map(|at| (at, needle.len())))
        .min()
    {
        let (at, len) = at;
        // Up to and including the quote; the path's slash follows.
        let (before, after) = rest.split_at(at + len - 1);
        out.push_str(before);
        if !after.starts_with("//") {
            out.push_str(base_url);
        }
        out.push('/');
        rest = &after[1..];
    }
    out.push_str(rest);
    out
}

/// `/site/sitemap.xml`: the home page, the categories and every published item, with absolute
/// addresses and the date each last changed.
pub async fn sitemap(ctx: RequestContext, headers: HeaderMap) -> AppResult<Response> {
    cached(&ctx, &headers, "sitemap".into(), || async {
        let db = &ctx.state.db;
        let items = site::sitemap_items(db, SITEMAP_ITEMS).await?;
        let categories = site::categories(db).await?;
        let date = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let newest = items.iter().map(|entry| entry.updated_at).max().map(date);
        let mut urls = vec![
            SitemapUrl {
                loc: absolute(&ctx, "/site/"),
                lastmod: newest,
            },
            SitemapUrl {
                loc: absolute(&ctx, "/site/items/"),
                lastmod: None,
            },
        ];
        urls.extend(categories.iter().map(|card| SitemapUrl {
            loc: absolute(&ctx, &site_urls::category(&card.category.slug)),
            lastmod: Some(date(card.category.updated_at)),
        }));
        urls.extend(items.iter().map(|entry| SitemapUrl {
            loc: absolute(&ctx, &site_urls::item(&entry.category_slug, &entry.slug)),
            lastmod: Some(date(entry.updated_at)),
        }));
        let body = Sitemap { urls }
            .render()
            .map_err(|err| AppError::Internal(anyhow::anyhow!("sitemap template: {err}")))?;
        Ok(Rendered {
            body,
            content_type: SITEMAP_TYPE,
            cache_control: LIST_CACHE,
            item_id: None,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::absolute_links;

    #[test]
    fn site_relative_links_become_absolute() {
        let base = "https://example.org";
        assert_eq!(
            absolute_links(
                base,
                r#"<p><a href="/site/x/">x</a> <img src="/media/a.jpg" alt=""> <a href="https://b.example/">b</a> <a href="//c.example/">c</a></p>"#
            ),
            r#"<p><a href="https://example.org/site/x/">x</a> <img src="https://example.org/media/a.jpg" alt=""> <a href="https://b.example/">b</a> <a href="//c.example/">c</a></p>"#
        );
        assert_eq!(absolute_links(base, "no links"), "no links");
        assert_eq!(
            absolute_links(base, r#"<a href="/"#),
            r#"<a href="https://example.org/"#
        );
    }
}
