//! `/api/v1/pads`: the caller's pads. Names follow the pad form's rule ([`Name::parse`]);
//! deleting a pad deletes its notes, as on the pages.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use folio_db::queries::pads;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::http::{ApiJson, ApiQuery, check_version, no_content, read_response, written_response};
use super::notes::{gone_or_changed, path_id};
use super::paging::{PageRequest, Paged, add_page_links};
use super::problem::{
    ApiError, ApiResult, BodyProblems, CallerProblems, MissingProblems, Problem, StaleProblems, WriteProblems,
};
use super::text::NameText;
use crate::domain::Name;
use crate::forms::FieldErrors;
use crate::state::AppState;

/// A pad.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Pad {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A new pad, or a pad's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PadFields {
    pub name: NameText,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PadsQuery {
    /// The page, from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    page: Option<String>,
    /// Pads per page, 1 to 500 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
}

impl From<folio_db::entities::pad::Model> for Pad {
    fn from(model: folio_db::entities::pad::Model) -> Self {
        Self {
            id: model.id,
            name: model.name,
            created_at: model.created_at,
        }
    }
}

fn valid_name(fields: &PadFields) -> ApiResult<Name> {
    let mut errors = FieldErrors::default();
    errors
        .check("name", Name::parse(&fields.name.0))
        .ok_or(ApiError::Invalid(errors))
}

async fn owned(state: &AppState, caller: &ApiUser, id: i64) -> ApiResult<Pad> {
    pads::find_owned(&state.db, caller.id, id)
        .await?
        .map(Pad::from)
        .ok_or_else(ApiError::not_found)
}

/// List your pads
#[utoipa::path(
    get, path = "/api/v1/pads", operation_id = "pads_list", tag = "pads",
    params(PadsQuery),
    responses(
        (status = 200, description = "A page of pads, by name", body = Paged<Pad>,
         headers(("ETag" = String), ("Link" = String), ("X-Total-Count" = u64))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiQuery(query): ApiQuery<PadsQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    // A person has a handful of pads: one indexed query, paged here.
    let all = pads::all_for_user(&state.db, caller.id).await?;
    let total = all.len() as u64;
    let data: Vec<Pad> = all
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .map(Pad::from)
        .collect();
    let body = Paged {
        data,
        page: page.page,
        per_page: page.per_page,
        total,
    };
    let mut response = read_response(&headers, &body)?;
    add_page_links(&mut response, "/api/v1/pads", &[], page, total);
    Ok(response)
}

/// Read a pad
#[utoipa::path(
    get, path = "/api/v1/pads/{id}", operation_id = "pads_show", tag = "pads",
    params(("id" = i64, Path, description = "The pad's id")),
    responses(
        (status = 200, description = "The pad", body = Pad, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        MissingProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let pad = owned(&state, &caller, path_id(&id)?).await?;
    read_response(&headers, &pad)
}

/// Create a pad
#[utoipa::path(
    post, path = "/api/v1/pads", operation_id = "pads_create", tag = "pads",
    request_body = PadFields,
    responses(
        (status = 201, description = "Created", body = Pad, headers(("Location" = String), ("ETag" = String))),
        BodyProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(fields): ApiJson<PadFields>,
) -> ApiResult<Response> {
    caller.require_write()?;
    let name = valid_name(&fields)?;
    crate::security::quotas::check_new_pad(&state, caller.id)
        .await?
        .map_err(ApiError::Invalid)?;
    let pad = Pad::from(pads::create(&state.db, caller.id, name.as_str()).await?);
    let location = format!("/api/v1/pads/{}", pad.id);
    written_response(StatusCode::CREATED, &pad, Some(location))
}

/// Rename a pad
#[utoipa::path(
    patch, path = "/api/v1/pads/{id}", operation_id = "pads_update", tag = "pads",
    params(
        ("id" = i64, Path, description = "The pad's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the pad changed since"),
    ),
    request_body = PadFields,
    responses(
        (status = 200, description = "The renamed pad", body = Pad, headers(("ETag" = String))),
        StaleProblems, MissingProblems, BodyProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(fields): ApiJson<PadFields>,
) -> ApiResult<Response> {
    caller.require_write()?;
    let current = owned(&state, &caller, path_id(&id)?).await?;
    // A body that can't be right is refused first, whatever version it was written against.
    let name = valid_name(&fields)?;
    let conditional = check_version(&headers, || current.clone())?;
    crate::security::quotas::count_write(&state, caller.id).await?;
    let expected = conditional.then_some(current.name.as_str());
    if !pads::rename(&state.db, caller.id, current.id, name.as_str(), expected).await? {
        return Err(gone_or_changed(conditional));
    }
    let pad = owned(&state, &caller, current.id).await?;
    written_response(StatusCode::OK, &pad, None)
}

/// Delete a pad and its notes
#[utoipa::path(
    delete, path = "/api/v1/pads/{id}", operation_id = "pads_delete", tag = "pads",
    params(
        ("id" = i64, Path, description = "The pad's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the pad changed since"),
    ),
    responses(
        (status = 204, description = "Deleted, with its notes"),
        WriteProblems, StaleProblems, MissingProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require_write()?;
    let current = owned(&state, &caller, path_id(&id)?).await?;
    let conditional = check_version(&headers, || current.clone())?;
    let expected = conditional.then_some(current.name.as_str());
    if !pads::delete_owned(&state.db, caller.id, current.id, expected).await? {
        return Err(gone_or_changed(conditional));
    }
    Ok(no_content())
}
