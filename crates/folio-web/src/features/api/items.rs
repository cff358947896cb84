//! `/api/v1/items`: the site's items. Anyone may read the published ones; staff also see
//! drafts and scheduled items. Staff change them through the admin panel's own code: the
//! item form's save ([`save_resource`] with its [`Items`]: validation, uniqueness, image,
//! audit entries, the subscribers' notification when a save publishes, the scheduled job),
//! its publish and unpublish ([`set_published`]) and its delete ([`delete_audited`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use folio_db::entities::item::{self as item_row, DRAFT, PUBLISHED, SCHEDULED};
use folio_db::queries::{categories, items as item_rows, site};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::content::{
    ApiStaff, Image, ImageEdit, ImageUpload, ImageUploadForm, MaybeCaller, delete_content, image, replace,
    save_resource, validated,
};
use super::http::{ApiJson, ApiQuery, check_version, public_read_response, written_response};
use super::notes::path_id;
use super::paging::{PageRequest, Paged, add_page_links};
use super::problem::{
    ApiError, ApiResult, BodyProblems, CallerProblems, ContentMissingProblems, Problem, StaffProblems,
    StaleProblems, UploadProblems,
};
use super::text::{optional_id, whole_number};
use crate::features::admin::items::{ItemForm, Items, publish_at_input, set_published};
use crate::features::media::{Pictures, Size};
use crate::forms::FieldErrors;
use crate::state::AppState;

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    /// Published by itself at `published_at`.
    Scheduled,
    Published,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Draft => DRAFT,
            Self::Scheduled => SCHEDULED,
            Self::Published => PUBLISHED,
        }
    }

    fn of(row: &str) -> Self {
        match row {
            PUBLISHED => Self::Published,
            SCHEDULED => Self::Scheduled,
            _ => Self::Draft,
        }
    }
}

/// An item of the site.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub category_id: i64,
    pub summary: String,
    /// The body as written (Markdown).
    pub body: String,
    /// The body as the site shows it (rendered and sanitised).
    pub body_html: String,
    pub status: Status,
    /// When it was first published, or for a scheduled item when it will be.
    pub published_at: Option<DateTime<Utc>>,
    pub image: Option<Image>,
    /// Its page on the site.
    pub url: String,
    pub updated_at: DateTime<Utc>,
}

/// A new item. The slug is derived from the title when left out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// 1 to 200 characters, one line, unique.
    pub title: String,
    /// Lower-case letters, digits and hyphens, unique; derived from the title when empty.
    pub slug: Option<String>,
    #[serde(deserialize_with = "whole_number")]
    #[schema(value_type = i64)]
    pub category_id: i64,
    /// 1 to 200 characters, one line.
    pub summary: String,
    /// Markdown, up to 200,000 characters.
    pub body: Option<String>,
    /// `draft` (the default), `published` (subscribers are notified), or `scheduled` with
    /// `publish_at`.
    pub status: Option<Status>,
    /// For a scheduled item: when to publish it (RFC 3339, in the future; kept to the second).
    #[schema(format = DateTime)]
    pub publish_at: Option<String>,
    /// The image's description, up to 300 characters.
    pub image_alt: Option<String>,
}

/// Changes to an item: only the fields sent change, with the same rules as a new one.
/// Publishing by `status` notifies subscribers, as the publish operation does.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "optional_id")]
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<i64>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub status: Option<Status>,
    #[schema(format = DateTime)]
    pub publish_at: Option<String>,
    pub image_alt: Option<String>,
}

impl From<NewItem> for ItemPatch {
    fn from(new: NewItem) -> Self {
        Self {
            title: Some(new.title),
            slug: new.slug,
            category_id: Some(new.category_id),
            summary: Some(new.summary),
            body: new.body,
            status: new.status,
            publish_at: new.publish_at,
            image_alt: new.image_alt,
        }
    }
}

/// The form's field names that the JSON names otherwise.
const RENAMED: &[(&str, &str)] = &[("category", "category_id")];

impl ItemPatch {
    /// The admin's item form, filled from `current` (or empty) with these changes; a
    /// `publish_at` that is not an RFC 3339 time is refused here.
    fn form(self, current: Option<&item_row::Model>) -> ApiResult<ItemForm> {
        let mut form = current.map(ItemForm::of).unwrap_or_default();
        let Self {
            title,
            slug,
            category_id,
            summary,
            body,
            status,
            publish_at,
            image_alt,
        } = self;
        replace(&mut form.title, title);
        replace(&mut form.slug, slug);
        replace(&mut form.category, category_id.map(|id| id.to_string()));
        replace(&mut form.summary, summary);
        replace(&mut form.body, body);
        replace(&mut form.status, status.map(|status| status.as_str().to_owned()));
        replace(&mut form.image_alt, image_alt);
        if let Some(at) = publish_at {
            form.publish_at = rfc3339(&at).map(publish_at_input)?;
        }
        Ok(form)
    }
}

fn rfc3339(raw: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            let mut errors = FieldErrors::default();
            errors.add(
                "publish_at",
                "Enter a time as RFC 3339, like 2026-12-01T09:30:00Z.",
            );
            ApiError::Invalid(errors)
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// The page, from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    page: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
    /// Only the items of this category.
    #[param(value_type = Option<i64>)]
    category: Option<String>,
    /// `published` (the default), `draft`, `scheduled` or `all`. Only staff see drafts and
    /// scheduled items: for anyone else those lists are empty.
    #[param(value_type = Option<String>, pattern = "^(published|draft|scheduled|all)$")]
    status: Option<String>,
}

/// The statuses a caller asked for, among those they may see.
fn statuses(asked: Option<&str>, staff: bool) -> ApiResult<Vec<&'static str>> {
    let asked: &[&'static str] = match asked.unwrap_or(PUBLISHED) {
        "all" => &[PUBLISHED, DRAFT, SCHEDULED],
        PUBLISHED => &[PUBLISHED],
        DRAFT => &[DRAFT],
        SCHEDULED => &[SCHEDULED],
        _ => {
            return Err(ApiError::BadRequest(
                "`status` must be published, draft, scheduled or all.".into(),
            ));
        }
    };
    Ok(asked
        .iter()
        .copied()
        .filter(|status| staff || *status == PUBLISHED)
        .collect())
}

/// The statuses a caller may see.
async fn visible(state: &AppState, caller: &MaybeCaller) -> ApiResult<&'static [&'static str]> {
    Ok(if caller.is_staff(state).await? {
        &[PUBLISHED, DRAFT, SCHEDULED]
    } else {
        &[PUBLISHED]
    })
}

/// The JSON of `rows`, with their images and site addresses.
async fn represent(state: &AppState, rows: Vec<item_row::Model>) -> ApiResult<Vec<Item>> {
    let keys: Vec<Option<String>> = rows.iter().map(|row| row.image_key.clone()).collect();
    let pictures = Pictures::load(state, &keys, Size::Display).await?;
    // A site has tens of categories: their slugs in one query.
    let categories = categories::all(&state.db).await?;
    let slug_of = |id: i64| {
        categories
            .iter()
            .find(|category| category.id == id)
            .map(|category| category.slug.as_str())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|row| Item {
            image: image(&pictures, &row.image_key, &row.image_alt, &row.title),
            url: folio_jobs::site_urls::item(slug_of(row.category_id), &row.slug),
            status: Status::of(&row.status),
            id: row.id,
            title: row.title,
            slug: row.slug,
            category_id: row.category_id,
            summary: row.summary,
            body: row.body,
            body_html: row.body_html,
            published_at: row.published_at,
            updated_at: row.updated_at,
        })
        .collect())
}

async fn one(state: &AppState, row: item_row::Model) -> ApiResult<Item> {
    represent(state, vec![row])
        .await?
        .pop()
        .ok_or_else(ApiError::not_found)
}

/// Item `id` for staff (whatever its status), or 404.
async fn row(state: &AppState, id: &str) -> ApiResult<item_row::Model> {
    item_rows::find(&state.db, path_id(id)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Item `id` as it is now, shown.
async fn current(state: &AppState, id: i64) -> ApiResult<Item> {
    let row = item_rows::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    one(state, row).await
}

/// List items
#[utoipa::path(
    get, path = "/api/v1/items", operation_id = "items_list", tag = "site",
    params(ItemsQuery),
    responses(
        (status = 200, description = "A page of items, newest first", body = Paged<Item>,
         headers(("ETag" = String), ("Link" = String), ("X-Total-Count" = u64))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        CallerProblems,
    ),
    security((), ("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: MaybeCaller,
    ApiQuery(query): ApiQuery<ItemsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let category = match query.category.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::BadRequest("`category` must be a category's id.".into()))?,
        ),
    };
    let staff = caller.is_staff(&state).await?;
    let statuses = statuses(query.status.as_deref(), staff)?;
    let (rows, total) = if statuses.is_empty() {
        (Vec::new(), 0)
    } else {
        site::items_page(&state.db, &statuses, category, page.per_page, page.offset()).await?
    };
    let body = Paged {
        data: represent(&state, rows).await?,
        page: page.page,
        per_page: page.per_page,
        total,
    };
    let mut response = public_read_response(&headers, &body, caller.is_anonymous())?;
    let mut kept = Vec::new();
    if let Some(category) = category {
        kept.push(("category".to_owned(), category.to_string()));
    }
    if let Some(status) = query.status {
        kept.push(("status".to_owned(), status));
    }
    add_page_links(&mut response, "/api/v1/items", &kept, page, total);
    Ok(response)
}

/// Read an item
#[utoipa::path(
    get, path = "/api/v1/items/{id}", operation_id = "items_show", tag = "site",
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item", body = Item, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        ContentMissingProblems, CallerProblems,
    ),
    security((), ("token" = []), ("session" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let statuses = visible(&state, &caller).await?;
    let row = site::item_with_status(&state.db, path_id(&id)?, statuses)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let item = one(&state, row).await?;
    public_read_response(&headers, &item, caller.is_anonymous())
}

/// Create an item (staff)
#[utoipa::path(
    post, path = "/api/v1/items", operation_id = "items_create", tag = "site",
    request_body = NewItem,
    responses(
        (status = 201, description = "Created (and, if published, subscribers are being notified)", body = Item,
         headers(("Location" = String), ("ETag" = String))),
        BodyProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: ApiStaff,
    ApiJson(new): ApiJson<NewItem>,
) -> ApiResult<Response> {
    let form = ItemPatch::from(new).form(None)?;
    let fields = validated::<Items>(&state, None, &form, RENAMED).await?;
    let saved = save_resource::<Items>(&state, &staff, None, fields, ImageEdit::Keep, RENAMED).await?;
    let item = one(&state, saved.item).await?;
    let location = format!("/api/v1/items/{}", item.id);
    written_response(StatusCode::CREATED, &item, Some(location))
}

/// Change an item (staff)
#[utoipa::path(
    patch, path = "/api/v1/items/{id}", operation_id = "items_update", tag = "site",
    params(
        ("id" = i64, Path, description = "The item's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the item changed since"),
    ),
    request_body = ItemPatch,
    responses(
        (status = 200, description = "The changed item", body = Item, headers(("ETag" = String))),
        StaleProblems, ContentMissingProblems, BodyProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<ItemPatch>,
) -> ApiResult<Response> {
    let row = row(&state, &id).await?;
    let id = row.id;
    let form = patch.form(Some(&row))?;
    // A body that can't be right is refused first, whatever version it was written against.
    let fields = validated::<Items>(&state, Some(&row), &form, RENAMED).await?;
    let shown = one(&state, row.clone()).await?;
    check_version(&headers, || shown)?;
    save_resource::<Items>(&state, &staff, Some(&row), fields, ImageEdit::Keep, RENAMED).await?;
    written_response(StatusCode::OK, &current(&state, id).await?, None)
}

/// Delete an item (staff)
#[utoipa::path(
    delete, path = "/api/v1/items/{id}", operation_id = "items_delete", tag = "site",
    params(
        ("id" = i64, Path, description = "The item's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the item changed since"),
    ),
    responses(
        (status = 204, description = "Deleted, with its image and delivery records"),
        StaleProblems, ContentMissingProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let row = row(&state, &id).await?;
    let shown = one(&state, row.clone()).await?;
    delete_content::<Items>(&state, &staff, &headers, &row, shown).await
}

/// Publish an item now (staff); subscribers are notified
#[utoipa::path(
    post, path = "/api/v1/items/{id}/publish", operation_id = "items_publish", tag = "site",
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item, published (already published: unchanged)", body = Item, headers(("ETag" = String))),
        ContentMissingProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn publish(state: State<AppState>, staff: ApiStaff, id: Path<String>) -> ApiResult<Response> {
    set_status(state, staff, id, true).await
}

/// Unpublish an item (staff): it becomes a draft
#[utoipa::path(
    post, path = "/api/v1/items/{id}/unpublish", operation_id = "items_unpublish", tag = "site",
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item, a draft (already a draft: unchanged)", body = Item, headers(("ETag" = String))),
        ContentMissingProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn unpublish(state: State<AppState>, staff: ApiStaff, id: Path<String>) -> ApiResult<Response> {
    set_status(state, staff, id, false).await
}

async fn set_status(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    publish: bool,
) -> ApiResult<Response> {
    let row = row(&state, &id).await?;
    set_published(&state, &staff.actor(), &row, publish).await?;
    written_response(StatusCode::OK, &current(&state, row.id).await?, None)
}

/// Set an item's image (staff)
#[utoipa::path(
    put, path = "/api/v1/items/{id}/image", operation_id = "items_image_set", tag = "site",
    params(("id" = i64, Path, description = "The item's id")),
    request_body(content = ImageUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The item with its new image", body = Item, headers(("ETag" = String))),
        ContentMissingProblems, UploadProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn set_image(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    ImageUpload(upload): ImageUpload,
) -> ApiResult<Response> {
    change_image(&state, &staff, &id, ImageEdit::Replace(upload)).await
}

/// Remove an item's image (staff)
#[utoipa::path(
    delete, path = "/api/v1/items/{id}/image", operation_id = "items_image_remove", tag = "site",
    params(("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item without an image", body = Item, headers(("ETag" = String))),
        ContentMissingProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn remove_image(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    change_image(&state, &staff, &id, ImageEdit::Remove).await
}

/// Saves the item's form as it stands with `image`, as the admin's form does when only the
/// image changes.
async fn change_image(state: &AppState, staff: &ApiStaff, id: &str, image: ImageEdit) -> ApiResult<Response> {
    let row = row(state, id).await?;
    let fields = validated::<Items>(state, Some(&row), &ItemForm::of(&row), RENAMED).await?;
    save_resource::<Items>(state, staff, Some(&row), fields, image, RENAMED).await?;
    written_response(StatusCode::OK, &current(state, row.id).await?, None)
}
