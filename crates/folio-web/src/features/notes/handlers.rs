use askama::Template;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::NoteView;
use folio_db::queries::notes::{self, NoteInput};

use super::form::{NoteForm, PadOption, ValidNote, pad_options};
use super::listing::{NoteRow, SortLinks, order_of, rows};
use crate::dates::{SmartDate, smart_date};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::{Confirm, CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok};
use crate::security::quotas::{self, NoteWrite};
use crate::session::{RequestContext, SignedIn};

#[derive(Template)]
#[template(path = "features/notes/templates/list.html")]
pub struct NotesPage {
    pub page: PageContext,
    pub heading: String,
    /// The pad whose notes these are; `None` for all notes.
    pub pad_id: Option<i64>,
    pub rows: Vec<NoteRow>,
    pub sort: SortLinks,
}

impl NotesPage {
    /// The "New note" link, preselecting the pad on a pad page.
    pub fn new_note_url(&self) -> String {
        match self.pad_id {
            Some(id) => format!("/notes/create/?pad={id}"),
            None => "/notes/create/".to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "features/notes/templates/note.html")]
struct NotePage {
    page: PageContext,
    note: NoteView,
    updated: SmartDate,
}

#[derive(Template)]
#[template(path = "features/notes/templates/form.html")]
struct NoteFormPage {
    page: PageContext,
    heading: &'static str,
    action: String,
    form: NoteForm,
    pads: Vec<PadOption>,
    errors: FieldErrors,
    cancel_url: String,
}

#[derive(Template)]
#[template(path = "features/notes/templates/delete.html")]
struct DeletePage {
    page: PageContext,
    note: NoteView,
}

/// Where to go after a note changes: its pad, or all notes.
fn after_change(pad_id: Option<i64>) -> Response {
    match pad_id {
        Some(id) => Redirect::to(&format!("/pads/{id}/")).into_response(),
        None => Redirect::to("/").into_response(),
    }
}

async fn owned_note(ctx: &RequestContext, user_id: i64, id: i64) -> AppResult<NoteView> {
    match notes::find_owned(&ctx.state.db, user_id, id).await? {
        Some(found) => Ok(found),
        None => Err(ctx.not_found().await),
    }
}

pub async fn all_notes(SignedIn { ctx, user }: SignedIn, query: RawQuery) -> AppResult<Response> {
    let order = order_of(&query);
    let listing = notes::list(&ctx.state.db, user.id, None, order).await?;
    let page = ctx.notes_page("All notes", user.id).await?;
    let rows = rows(listing, page.pads.as_deref());
    Ok(ok(&NotesPage {
        page,
        heading: "All notes".into(),
        pad_id: None,
        rows,
        sort: SortLinks { current: order },
    }))
}

pub async fn view(SignedIn { ctx, user }: SignedIn, PathId(id): PathId) -> AppResult<Response> {
    let note = owned_note(&ctx, user.id, id).await?;
    let mut page = ctx.notes_page(note.name.clone(), user.id).await?;
    page.active_pad = note.pad_id;
    let updated = smart_date(note.updated_at, chrono::Utc::now());
    Ok(ok(&NotePage { page, note, updated }))
}

/// Whether the note form creates a note or edits one: decides its heading and links.
#[derive(Clone, Copy)]
enum FormMode {
    Create,
    Edit(i64),
}

impl FormMode {
    fn heading(self) -> &'static str {
        match self {
            Self::Create => "New note",
            Self::Edit(_) => "Edit note",
        }
    }

    fn action(self) -> String {
        match self {
            Self::Create => "/notes/create/".to_owned(),
            Self::Edit(id) => format!("/notes/{id}/edit/"),
        }
    }

    fn cancel_url(self) -> String {
        match self {
            Self::Create => "/".to_owned(),
            Self::Edit(id) => format!("/notes/{id}/"),
        }
    }
}

async fn form_page(
    ctx: &RequestContext,
    user_id: i64,
    mode: FormMode,
    form: NoteForm,
    errors: FieldErrors,
) -> AppResult<NoteFormPage> {
    let page = ctx.notes_page(mode.heading(), user_id).await?;
    let pads = pad_options(page.pads.as_deref().unwrap_or_default(), &form.pad);
    Ok(NoteFormPage {
        page,
        heading: mode.heading(),
        action: mode.action(),
        form,
        pads,
        errors,
        cancel_url: mode.cancel_url(),
    })
}

pub async fn show_create(SignedIn { ctx, user }: SignedIn, RawQuery(query): RawQuery) -> AppResult<Response> {
    let pad = crate::forms::query_param(query.as_deref(), "pad").unwrap_or_default();
    let form = NoteForm {
        pad,
        ..NoteForm::default()
    };
    let page = form_page(&ctx, user.id, FormMode::Create, form, FieldErrors::default());
    Ok(ok(&page.await?))
}

fn input(valid: &ValidNote) -> NoteInput<'_> {
    NoteInput {
        name: valid.name.as_str(),
        text: valid.text.as_str(),
        pad_id: valid.pad_id,
    }
}

pub async fn create(
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, data: form }: CsrfForm<NoteForm>,
) -> AppResult<Response> {
    match form.validate(&ctx.state.db, user.id).await? {
        Ok(valid) => {
            let write = NoteWrite::Create {
                text_bytes: valid.text.as_str().len(),
            };
            if let Err(errors) = quotas::check_note_write(&ctx.state, user.id, write).await? {
                let page = form_page(&ctx, user.id, FormMode::Create, form, errors);
                return Ok(invalid(&page.await?));
            }
            notes::create(&ctx.state.db, user.id, input(&valid)).await?;
            ctx.flash("Note is successfully created");
            Ok(after_change(valid.pad_id))
        }
        Err(errors) => {
            let page = form_page(&ctx, user.id, FormMode::Create, form, errors);
            Ok(invalid(&page.await?))
        }
    }
}

pub async fn show_edit(SignedIn { ctx, user }: SignedIn, PathId(id): PathId) -> AppResult<Response> {
    let note = owned_note(&ctx, user.id, id).await?;
    let form = NoteForm {
        name: note.name,
        text: note.text,
        pad: note.pad_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    let page = form_page(
        &ctx,
        user.id,
        FormMode::Edit(note.id),
        form,
        FieldErrors::default(),
    );
    Ok(ok(&page.await?))
}

pub async fn edit(
    SignedIn { user, .. }: SignedIn,
    PathId(id): PathId,
    CsrfForm { ctx, data: form }: CsrfForm<NoteForm>,
) -> AppResult<Response> {
    let note = owned_note(&ctx, user.id, id).await?;
    match form.validate(&ctx.state.db, user.id).await? {
        Ok(valid) => {
            let write = NoteWrite::Update {
                old_text_bytes: note.text.len(),
                text_bytes: valid.text.as_str().len(),
            };
            if let Err(errors) = quotas::check_note_write(&ctx.state, user.id, write).await? {
                let page = form_page(&ctx, user.id, FormMode::Edit(note.id), form, errors);
                return Ok(invalid(&page.await?));
            }
            if !notes::update(&ctx.state.db, user.id, note.id, input(&valid), None).await? {
                return Err(ctx.not_found().await);
            }
            ctx.flash("Note is successfully updated");
            Ok(after_change(valid.pad_id))
        }
        Err(errors) => {
            let page = form_page(&ctx, user.id, FormMode::Edit(note.id), form, errors);
            Ok(invalid(&page.await?))
        }
    }
}

pub async fn show_delete(SignedIn { ctx, user }: SignedIn, PathId(id): PathId) -> AppResult<Response> {
    let note = owned_note(&ctx, user.id, id).await?;
    let page = ctx.notes_page("Delete note", user.id).await?;
    Ok(ok(&DeletePage { page, note }))
}

pub async fn delete(
    SignedIn { user, .. }: SignedIn,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let note = owned_note(&ctx, user.id, id).await?;
    if !notes::delete_owned(&ctx.state.db, user.id, note.id, None).await? {
        return Err(ctx.not_found().await);
    }
    ctx.flash("Note is successfully deleted");
    Ok(after_change(note.pad_id))
}
