//! `/api/v1/categories`: the site's categories. Anyone may read them. Staff change them
//! through the admin panel's own save ([`save_resource`] with its [`Categories`]), so the
//! API and the panel share one set of rules: the same validation and uniqueness, the same
//! image checks, the same audit entries, and the public cache cleared the same way.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use folio_db::entities::category;
use folio_db::queries::categories as category_rows;
use folio_db::queries::site::{self, CategoryCard};
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
use super::text::optional_id;
use crate::features::admin::categories::{Categories, CategoryForm};
use crate::features::media::{Pictures, Size};
use crate::state::AppState;

/// A category of the site.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub summary: String,
    /// Categories are listed by position, then name.
    pub position: i32,
    pub image: Option<Image>,
    /// How many published items it has.
    pub item_count: i64,
    /// Its page on the site.
    pub url: String,
    pub updated_at: DateTime<Utc>,
}

/// A new category. The slug is derived from the name when left out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// 1 to 200 characters, one line, unique.
    pub name: String,
    /// Lower-case letters, digits and hyphens, unique; derived from the name when empty.
    pub slug: Option<String>,
    /// Up to 2,000 characters.
    pub summary: Option<String>,
    /// 0 to 1,000,000 (default 0).
    #[serde(default, deserialize_with = "optional_id")]
    #[schema(value_type = Option<i64>)]
    pub position: Option<i64>,
    /// The image's description, up to 300 characters.
    pub image_alt: Option<String>,
}

/// Changes to a category: only the fields sent change, with the same rules as a new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "optional_id")]
    #[schema(value_type = Option<i64>)]
    pub position: Option<i64>,
    pub image_alt: Option<String>,
}

impl From<NewCategory> for CategoryPatch {
    fn from(new: NewCategory) -> Self {
        Self {
            name: Some(new.name),
            slug: new.slug,
            summary: new.summary,
            position: new.position,
            image_alt: new.image_alt,
        }
    }
}

impl CategoryPatch {
    /// The admin's form, filled from `current` (or empty) with these changes.
    fn form(self, current: Option<&category::Model>) -> CategoryForm {
        let mut form = current.map(CategoryForm::of).unwrap_or_default();
        let Self {
            name,
            slug,
            summary,
            position,
            image_alt,
        } = self;
        replace(&mut form.name, name);
        replace(&mut form.slug, slug);
        replace(&mut form.summary, summary);
        replace(&mut form.position, position.map(|p| p.to_string()));
        replace(&mut form.image_alt, image_alt);
        form
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoriesQuery {
    /// The page, from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    page: Option<String>,
    /// Categories per page, 1 to 500 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
}

/// The JSON of `cards`, with their images.
async fn represent(state: &AppState, cards: Vec<CategoryCard>) -> ApiResult<Vec<Category>> {
    let keys: Vec<Option<String>> = cards.iter().map(|card| card.category.image_key.clone()).collect();
    let pictures = Pictures::load(state, &keys, Size::Tile).await?;
    Ok(cards
        .into_iter()
        .map(|CategoryCard { category, item_count }| Category {
            image: image(
                &pictures,
                &category.image_key,
                &category.image_alt,
                &category.name,
            ),
            url: folio_jobs::site_urls::category(&category.slug),
            id: category.id,
            name: category.name,
            slug: category.slug,
            summary: category.summary,
            position: category.position,
            item_count,
            updated_at: category.updated_at,
        })
        .collect())
}

/// Category `id` as the API shows it, or 404.
async fn one(state: &AppState, id: i64) -> ApiResult<Category> {
    let card = site::categories(&state.db)
        .await?
        .into_iter()
        .find(|card| card.category.id == id)
        .ok_or_else(ApiError::not_found)?;
    represent(state, vec![card])
        .await?
        .pop()
        .ok_or_else(ApiError::not_found)
}

async fn row(state: &AppState, id: &str) -> ApiResult<category::Model> {
    category_rows::find(&state.db, path_id(id)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// List the categories
#[utoipa::path(
    get, path = "/api/v1/categories", operation_id = "categories_list", tag = "site",
    params(CategoriesQuery),
    responses(
        (status = 200, description = "A page of categories, by position then name", body = Paged<Category>,
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
    ApiQuery(query): ApiQuery<CategoriesQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    // A site has tens of categories: one query, paged here.
    let all = site::categories(&state.db).await?;
    let total = all.len() as u64;
    let shown: Vec<CategoryCard> = all
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .collect();
    let body = Paged {
        data: represent(&state, shown).await?,
        page: page.page,
        per_page: page.per_page,
        total,
    };
    let mut response = public_read_response(&headers, &body, caller.is_anonymous())?;
    add_page_links(&mut response, "/api/v1/categories", &[], page, total);
    Ok(response)
}

/// Read a category
#[utoipa::path(
    get, path = "/api/v1/categories/{id}", operation_id = "categories_show", tag = "site",
    params(("id" = i64, Path, description = "The category's id")),
    responses(
        (status = 200, description = "The category", body = Category, headers(("ETag" = String))),
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
    let category = one(&state, path_id(&id)?).await?;
    public_read_response(&headers, &category, caller.is_anonymous())
}

/// Create a category (staff)
#[utoipa::path(
    post, path = "/api/v1/categories", operation_id = "categories_create", tag = "site",
    request_body = NewCategory,
    responses(
        (status = 201, description = "Created", body = Category, headers(("Location" = String), ("ETag" = String))),
        BodyProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: ApiStaff,
    ApiJson(new): ApiJson<NewCategory>,
) -> ApiResult<Response> {
    let form = CategoryPatch::from(new).form(None);
    let fields = validated::<Categories>(&state, None, &form, &[]).await?;
    let saved = save_resource::<Categories>(&state, &staff, None, fields, ImageEdit::Keep, &[]).await?;
    let category = one(&state, saved.id).await?;
    let location = format!("/api/v1/categories/{}", category.id);
    written_response(StatusCode::CREATED, &category, Some(location))
}

/// Change a category (staff)
#[utoipa::path(
    patch, path = "/api/v1/categories/{id}", operation_id = "categories_update", tag = "site",
    params(
        ("id" = i64, Path, description = "The category's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the category changed since"),
    ),
    request_body = CategoryPatch,
    responses(
        (status = 200, description = "The changed category", body = Category, headers(("ETag" = String))),
        StaleProblems, ContentMissingProblems, BodyProblems, StaffProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<CategoryPatch>,
) -> ApiResult<Response> {
    let current = row(&state, &id).await?;
    let form = patch.form(Some(&current));
    // A body that can't be right is refused first, whatever version it was written against.
    let fields = validated::<Categories>(&state, Some(&current), &form, &[]).await?;
    let shown = one(&state, current.id).await?;
    check_version(&headers, || shown)?;
    save_resource::<Categories>(&state, &staff, Some(&current), fields, ImageEdit::Keep, &[]).await?;
    written_response(StatusCode::OK, &one(&state, current.id).await?, None)
}

/// Delete a category (staff); refused while it has items
#[utoipa::path(
    delete, path = "/api/v1/categories/{id}", operation_id = "categories_delete", tag = "site",
    params(
        ("id" = i64, Path, description = "The category's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the category changed since"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "It still has items: move or delete them first", body = Problem, content_type = "application/problem+json"),
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
    let current = row(&state, &id).await?;
    let shown = one(&state, current.id).await?;
    delete_content::<Categories>(&state, &staff, &headers, &current, shown).await
}

/// Set a category's image (staff)
#[utoipa::path(
    put, path = "/api/v1/categories/{id}/image", operation_id = "categories_image_set", tag = "site",
    params(("id" = i64, Path, description = "The category's id")),
    request_body(content = ImageUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The category with its new image", body = Category, headers(("ETag" = String))),
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

/// Remove a category's image (staff)
#[utoipa::path(
    delete, path = "/api/v1/categories/{id}/image", operation_id = "categories_image_remove", tag = "site",
    params(("id" = i64, Path, description = "The category's id")),
    responses(
        (status = 200, description = "The category without an image", body = Category, headers(("ETag" = String))),
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

/// Saves the category's form as it stands with `image`, as the admin's form does when only
/// the image changes.
async fn change_image(state: &AppState, staff: &ApiStaff, id: &str, image: ImageEdit) -> ApiResult<Response> {
    let current = row(state, id).await?;
    let fields = validated::<Categories>(state, Some(&current), &CategoryForm::of(&current), &[]).await?;
    save_resource::<Categories>(state, staff, Some(&current), fields, image, &[]).await?;
    written_response(StatusCode::OK, &one(state, current.id).await?, None)
}
