//! `/api/v1/notes`: the caller's notes. Validation is the note form's own
//! ([`NoteForm::validate`]), so the API and the pages accept exactly the same notes.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use folio_db::queries::notes::{self, NoteInput};
use folio_db::queries::{NoteListing, NoteOrder, NoteView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::http::{ApiJson, ApiQuery, check_version, no_content, read_response, written_response};
use super::paging::{PageRequest, Paged, add_page_links};
use super::problem::{
    ApiError, ApiResult, BodyProblems, CallerProblems, MissingProblems, Problem, StaleProblems, WriteProblems,
};
use super::text::{NameText, NoteBody, optional_id, present_optional_id};
use crate::features::notes::form::{NoteForm, ValidNote};
use crate::forms::FieldErrors;
use crate::security::quotas::{self, NoteWrite};
use crate::state::AppState;

/// A note as the list shows it (the text is left out: read the note for it).
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteSummary {
    pub id: i64,
    pub name: String,
    pub pad_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A note, whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct Note {
    pub id: i64,
    pub name: String,
    pub text: String,
    pub pad_id: Option<i64>,
    pub pad_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A new note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub name: NameText,
    pub text: NoteBody,
    /// One of the caller's pads, or null for none.
    #[serde(default, deserialize_with = "optional_id")]
    pub pad_id: Option<i64>,
}

/// Changes to a note: only the fields sent change; `pad_id: null` takes it out of its pad.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatch {
    pub name: Option<NameText>,
    pub text: Option<NoteBody>,
    #[serde(default, deserialize_with = "present_optional_id")]
    #[schema(value_type = Option<i64>)]
    pub pad_id: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotesQuery {
    /// The page, from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    page: Option<String>,
    /// Notes per page, 1 to 500 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
    /// `name`, `-name`, `updated_at` or `-updated_at` (the default): the pages' orders.
    #[param(value_type = Option<String>, pattern = "^-?(name|updated_at)$")]
    order: Option<String>,
    /// Only the notes of this pad.
    #[param(value_type = Option<i64>)]
    pad: Option<String>,
}

impl From<NoteListing> for NoteSummary {
    fn from(row: NoteListing) -> Self {
        Self {
            id: row.id,
            name: row.name,
            pad_id: row.pad_id,
            updated_at: row.updated_at,
        }
    }
}

impl From<NoteView> for Note {
    fn from(view: NoteView) -> Self {
        Self {
            id: view.id,
            name: view.name,
            text: view.text,
            pad_id: view.pad_id,
            pad_name: view.pad_name,
            updated_at: view.updated_at,
        }
    }
}

/// A path id that is not a positive number names nothing: 404, like a missing note.
/// Why a write that found its row a moment ago changed nothing: with `If-Match`, the row
/// changed (or went) in between; without, it went.
pub fn gone_or_changed(conditional: bool) -> ApiError {
    if conditional {
        ApiError::PreconditionFailed
    } else {
        ApiError::not_found()
    }
}

pub fn path_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(ApiError::not_found)
}

fn order(raw: Option<&str>) -> ApiResult<NoteOrder> {
    match raw {
        None => Ok(NoteOrder::default()),
        Some(value) => {
            let order = NoteOrder::parse(Some(value));
            if order.as_str() == value {
                Ok(order)
            } else {
                Err(ApiError::BadRequest(
                    "`order` must be one of name, -name, updated_at, -updated_at.".into(),
                ))
            }
        }
    }
}

fn pad_filter(raw: Option<&str>) -> ApiResult<Option<i64>> {
    match raw {
        None => Ok(None),
        Some(value) => value
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::BadRequest("`pad` must be a pad's id.".into())),
    }
}

/// List your notes
#[utoipa::path(
    get, path = "/api/v1/notes", operation_id = "notes_list", tag = "notes",
    params(NotesQuery),
    responses(
        (status = 200, description = "A page of notes", body = Paged<NoteSummary>,
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
    ApiQuery(query): ApiQuery<NotesQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let page = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())?;
    let order = order(query.order.as_deref())?;
    let pad = pad_filter(query.pad.as_deref())?;
    let (rows, total) = notes::page(&state.db, caller.id, pad, order, page.offset(), page.per_page).await?;
    let body = Paged {
        data: rows.into_iter().map(NoteSummary::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total,
    };
    let mut response = read_response(&headers, &body)?;
    let mut kept = Vec::new();
    if let Some(order) = query.order {
        kept.push(("order".to_owned(), order));
    }
    if let Some(pad) = pad {
        kept.push(("pad".to_owned(), pad.to_string()));
    }
    add_page_links(&mut response, "/api/v1/notes", &kept, page, total);
    Ok(response)
}

async fn owned(state: &AppState, caller: &ApiUser, id: i64) -> ApiResult<NoteView> {
    notes::find_owned(&state.db, caller.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Read a note
#[utoipa::path(
    get, path = "/api/v1/notes/{id}", operation_id = "notes_show", tag = "notes",
    params(("id" = i64, Path, description = "The note's id")),
    responses(
        (status = 200, description = "The note", body = Note, headers(("ETag" = String))),
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
    let note = owned(&state, &caller, path_id(&id)?).await?;
    read_response(&headers, &Note::from(note))
}

/// Validates with the note form's rules; a refused pad is reported as `pad_id`.
async fn validate(
    state: &AppState,
    caller: &ApiUser,
    name: &str,
    text: &str,
    pad_id: Option<i64>,
) -> ApiResult<ValidNote> {
    let form = NoteForm {
        name: name.to_owned(),
        text: text.to_owned(),
        pad: pad_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    form.validate(&state.db, caller.id).await?.map_err(|errors| {
        let mut renamed = FieldErrors::default();
        for (field, message) in errors.iter() {
            renamed.add(if *field == "pad" { "pad_id" } else { field }, message.clone());
        }
        ApiError::Invalid(renamed)
    })
}

/// The account's write rate and quotas (`crate::security::quotas`): a 429, or a 422 naming
/// the field over its quota.
async fn within_quota(state: &AppState, caller: &ApiUser, write: NoteWrite) -> ApiResult<()> {
    quotas::check_note_write(state, caller.id, write)
        .await?
        .map_err(ApiError::Invalid)
}

fn input(valid: &ValidNote) -> NoteInput<'_> {
    NoteInput {
        name: valid.name.as_str(),
        text: valid.text.as_str(),
        pad_id: valid.pad_id,
    }
}

/// Create a note
#[utoipa::path(
    post, path = "/api/v1/notes", operation_id = "notes_create", tag = "notes",
    request_body = NewNote,
    responses(
        (status = 201, description = "Created", body = Note, headers(("Location" = String), ("ETag" = String))),
        BodyProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    ApiJson(new): ApiJson<NewNote>,
) -> ApiResult<Response> {
    caller.require_write()?;
    let valid = validate(&state, &caller, &new.name.0, &new.text.0, new.pad_id).await?;
    let write = NoteWrite::Create {
        text_bytes: valid.text.as_str().len(),
    };
    within_quota(&state, &caller, write).await?;
    let created = notes::create(&state.db, caller.id, input(&valid)).await?;
    let note = owned(&state, &caller, created.id).await?;
    let location = format!("/api/v1/notes/{}", note.id);
    written_response(StatusCode::CREATED, &Note::from(note), Some(location))
}

/// Change a note
#[utoipa::path(
    patch, path = "/api/v1/notes/{id}", operation_id = "notes_update", tag = "notes",
    params(
        ("id" = i64, Path, description = "The note's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: the change is refused with 412 if the note changed since"),
    ),
    request_body = NotePatch,
    responses(
        (status = 200, description = "The changed note", body = Note, headers(("ETag" = String))),
        StaleProblems, MissingProblems, BodyProblems, CallerProblems,
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<NotePatch>,
) -> ApiResult<Response> {
    caller.require_write()?;
    let current = owned(&state, &caller, path_id(&id)?).await?;
    let seen_at = current.updated_at;
    let valid = validate(
        &state,
        &caller,
        patch.name.as_ref().map_or(&current.name, |name| &name.0),
        patch.text.as_ref().map_or(&current.text, |text| &text.0),
        patch.pad_id.unwrap_or(current.pad_id),
    )
    .await?;
    // A body that can't be right is refused first (above), whatever version it was written
    // against; then the version.
    let conditional = check_version(&headers, || Note::from(current.clone()))?;
    let write = NoteWrite::Update {
        old_text_bytes: current.text.len(),
        text_bytes: valid.text.as_str().len(),
    };
    within_quota(&state, &caller, write).await?;
    // With If-Match, the write itself checks nothing changed since the read above.
    let unchanged_since = conditional.then_some(seen_at);
    if !notes::update(&state.db, caller.id, current.id, input(&valid), unchanged_since).await? {
        return Err(gone_or_changed(unchanged_since.is_some()));
    }
    let note = owned(&state, &caller, current.id).await?;
    written_response(StatusCode::OK, &Note::from(note), None)
}

/// Delete a note
#[utoipa::path(
    delete, path = "/api/v1/notes/{id}", operation_id = "notes_delete", tag = "notes",
    params(
        ("id" = i64, Path, description = "The note's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read: refused with 412 if the note changed since"),
    ),
    responses(
        (status = 204, description = "Deleted"),
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
    let conditional = check_version(&headers, || Note::from(current.clone()))?;
    let unchanged_since = conditional.then_some(current.updated_at);
    if !notes::delete_owned(&state.db, caller.id, current.id, unchanged_since).await? {
        return Err(gone_or_changed(unchanged_since.is_some()));
    }
    Ok(no_content())
}
