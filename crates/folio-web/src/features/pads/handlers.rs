use askama::Template;
use axum::extract::RawQuery;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::entities::pad;
use folio_db::queries::{notes, pads};
use serde::Deserialize;

use crate::domain::Name;
use crate::error::AppResult;
use crate::features::PathId;
use crate::features::notes::handlers::NotesPage;
use crate::features::notes::listing::{SortLinks, order_of, rows};
use crate::forms::{Confirm, CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok};
use crate::session::{RequestContext, SignedIn};

#[derive(Template)]
#[template(path = "features/pads/templates/form.html")]
struct PadFormPage {
    page: PageContext,
    heading: &'static str,
    action: String,
    /// What the name field shows.
    current_name: String,
    errors: FieldErrors,
    /// Set when editing: links to the pad and to its delete page.
    pad_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "features/pads/templates/delete.html")]
struct DeletePage {
    page: PageContext,
    pad: pad::Model,
}

#[derive(Deserialize)]
pub struct PadForm {
    #[serde(default)]
    name: String,
}

async fn owned_pad(ctx: &RequestContext, user_id: i64, id: i64) -> AppResult<pad::Model> {
    match pads::find_owned(&ctx.state.db, user_id, id).await? {
        Some(found) => Ok(found),
        None => Err(ctx.not_found().await),
    }
}

async fn form_page(
    ctx: &RequestContext,
    user_id: i64,
    pad_id: Option<i64>,
    name: String,
    errors: FieldErrors,
) -> AppResult<PadFormPage> {
    let (heading, action) = match pad_id {
        Some(id) => ("Pad settings", format!("/pads/{id}/edit/")),
        None => ("New pad", "/pads/create/".to_owned()),
    };
    let mut page = ctx.notes_page(heading, user_id).await?;
    page.active_pad = pad_id;
    Ok(PadFormPage {
        page,
        heading,
        action,
        current_name: name,
        errors,
        pad_id,
    })
}

pub async fn show_create(SignedIn { ctx, user }: SignedIn) -> AppResult<Response> {
    Ok(ok(&form_page(
        &ctx,
        user.id,
        None,
        String::new(),
        FieldErrors::default(),
    )
    .await?))
}

pub async fn create(
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, data: form }: CsrfForm<PadForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    if let Some(name) = errors.check("name", Name::parse(&form.name)) {
        if let Err(over) = crate::security::quotas::check_new_pad(&ctx.state, user.id).await? {
            return Ok(invalid(&form_page(&ctx, user.id, None, form.name, over).await?));
        }
        let pad = pads::create(&ctx.state.db, user.id, name.as_str()).await?;
        ctx.flash("Pad is successfully created");
        return Ok(Redirect::to(&format!("/pads/{}/", pad.id)).into_response());
    }
    Ok(invalid(&form_page(&ctx, user.id, None, form.name, errors).await?))
}

pub async fn view(
    SignedIn { ctx, user }: SignedIn,
    PathId(id): PathId,
    query: RawQuery,
) -> AppResult<Response> {
    let pad = owned_pad(&ctx, user.id, id).await?;
    let order = order_of(&query);
    let listing = notes::list(&ctx.state.db, user.id, Some(pad.id), order).await?;
    let mut page = ctx.notes_page(pad.name.clone(), user.id).await?;
    page.active_pad = Some(pad.id);
    let rows = rows(listing, page.pads.as_deref());
    Ok(ok(&NotesPage {
        page,
        heading: pad.name,
        pad_id: Some(pad.id),
        rows,
        sort: SortLinks { current: order },
    }))
}

pub async fn show_edit(SignedIn { ctx, user }: SignedIn, PathId(id): PathId) -> AppResult<Response> {
    let pad = owned_pad(&ctx, user.id, id).await?;
    Ok(ok(&form_page(
        &ctx,
        user.id,
        Some(pad.id),
        pad.name,
        FieldErrors::default(),
    )
    .await?))
}

pub async fn edit(
    SignedIn { user, .. }: SignedIn,
    PathId(id): PathId,
    CsrfForm { ctx, data: form }: CsrfForm<PadForm>,
) -> AppResult<Response> {
    let pad = owned_pad(&ctx, user.id, id).await?;
    let mut errors = FieldErrors::default();
    if let Some(name) = errors.check("name", Name::parse(&form.name)) {
        crate::security::quotas::count_write(&ctx.state, user.id).await?;
        if !pads::rename(&ctx.state.db, user.id, pad.id, name.as_str(), None).await? {
            return Err(ctx.not_found().await);
        }
        ctx.flash("Pad is successfully updated");
        return Ok(Redirect::to(&format!("/pads/{}/", pad.id)).into_response());
    }
    Ok(invalid(
        &form_page(&ctx, user.id, Some(pad.id), form.name, errors).await?,
    ))
}

pub async fn show_delete(SignedIn { ctx, user }: SignedIn, PathId(id): PathId) -> AppResult<Response> {
    let pad = owned_pad(&ctx, user.id, id).await?;
    let mut page = ctx.notes_page("Delete pad", user.id).await?;
    page.active_pad = Some(pad.id);
    Ok(ok(&DeletePage { page, pad }))
}

pub async fn delete(
    SignedIn { user, .. }: SignedIn,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let pad = owned_pad(&ctx, user.id, id).await?;
    if !pads::delete_owned(&ctx.state.db, user.id, pad.id, None).await? {
        return Err(ctx.not_found().await);
    }
    ctx.flash("Pad is successfully deleted");
    Ok(Redirect::to("/").into_response())
}
