//! The save of a form that carries an image (categories, items): validate, check the upload,
//! then one transaction with the row, its image change, its audit rows and any job, and the
//! public cache cleared after the commit. Storing and replacing the image itself is
//! `folio_jobs::image_replacement`'s; each resource says only what is its own
//! ([`ImageResource`]).

use axum::response::Response;
use folio_db::DatabaseTransaction;
use folio_db::queries::audit_entries::Actor;
use folio_db::queries::images::Owner;
use folio_db::queries::write_error::{Taken, WriteError};
use folio_jobs::image_replacement::{self, ImageChange, StoreError, UploadError};
use folio_storage::images::CleanImage;

use super::super::Staff;
use super::{Resource, found, see_other};
use crate::content::slug::slugify;
use crate::error::{AppError, AppResult};
use crate::features::PathId;
use crate::features::media::{Picture, Pictures, Size};
use crate::forms::FieldErrors;
use crate::layout::{invalid, ok};
use crate::session::RequestContext;
use crate::state::AppState;
use crate::uploads::{CsrfUploadForm, Upload};

/// The form field the image's messages go to.
pub const FIELD: &str = "image";

/// What a resource with an image form says about its own form and saves.
pub trait ImageResource: Resource {
    /// The form as posted.
    type Form;
    /// The form's values, validated.
    type Fields: Sync;
    /// What a write returns.
    type Saved: Send;
    /// The form's page.
    type Page: askama::Template;

    /// The form filled in from a saved row.
    fn form_of(row: &Self::Row) -> Self::Form;

    /// Validates the form's fields (not the image), all of them at once, including a name or
    /// slug another object (not `current`) already has; `None` when `errors` has some.
    async fn validate(
        state: &AppState,
        current: Option<&Self::Row>,
        form: &Self::Form,
        errors: &mut FieldErrors,
    ) -> AppResult<Option<Self::Fields>>;

    /// The "remove the image" checkbox's value.
    fn clear_image(form: &Self::Form) -> &str;

    /// Which save button was pressed (`then`: `list`, `edit` or `add`; none is `edit`).
    fn then(form: &Self::Form) -> &str;

    /// The form's page: adding (`current` is `None`) or changing `current`.
    async fn page(
        ctx: &RequestContext,
        current: Option<&Self::Row>,
        form: Self::Form,
        errors: FieldErrors,
    ) -> AppResult<Self::Page>;

    /// The saved row's id (its page is `<list><id>/`).
    fn saved_id(saved: &Self::Saved) -> i64;

    /// Creates the row (`current` is `None`) or updates it.
    async fn write(
        txn: &DatabaseTransaction,
        current: Option<&Self::Row>,
        fields: &Self::Fields,
    ) -> Result<Self::Saved, WriteError>;

    /// The field and message of a write the database refused because of the form's values
    /// (a name taken meanwhile); `None`: the refusal is a fault.
    fn refusal(err: &WriteError) -> Option<(&'static str, String)>;

    /// Whose image the save changes.
    fn owner(saved: &Self::Saved) -> Owner;

    /// The audit rows (and any job) of the save, in its transaction.
    async fn record(
        txn: &DatabaseTransaction,
        actor: &Actor,
        saved: &Self::Saved,
        created: bool,
    ) -> AppResult<()>;

    /// What the person is told after the save.
    fn done(saved: &Self::Saved, created: bool) -> String;
}

/// `GET <list><id>/`: the form of a saved object.
pub async fn show_edit<R: ImageResource>(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let current = found::<R>(&staff.ctx, id).await?;
    let form = R::form_of(&current);
    let page = R::page(&staff.ctx, Some(&current), form, FieldErrors::default()).await?;
    Ok(ok(&page))
}

/// `POST <list>add/`: a new object, then its page; or the form again with its errors.
pub async fn add<R: ImageResource>(
    staff: Staff,
    CsrfUploadForm { ctx, data, file }: CsrfUploadForm<R::Form>,
) -> AppResult<Response> {
    submit::<R>(staff, ctx, None, data, file).await
}

/// `POST <list><id>/`: the changed object, then its page; or the form again with its errors.
pub async fn edit<R: ImageResource>(
    staff: Staff,
    PathId(id): PathId,
    CsrfUploadForm { ctx, data, file }: CsrfUploadForm<R::Form>,
) -> AppResult<Response> {
    let current = found::<R>(&ctx, id).await?;
    submit::<R>(staff, ctx, Some(current), data, file).await
}

async fn submit<R: ImageResource>(
    staff: Staff,
    ctx: RequestContext,
    current: Option<R::Row>,
    form: R::Form,
    file: Option<Upload>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let current = current.as_ref();
    let fields = R::validate(&ctx.state, current, &form, &mut errors).await?;
    let remove_image = ticked(R::clear_image(&form));
    let change = Change {
        current,
        fields,
        upload: file,
        remove_image,
    };
    match save::<R>(&ctx.state, &staff.actor(), change, &mut errors).await? {
        Saving::Saved(saved) => {
            ctx.flash(R::done(&saved, current.is_none()));
            Ok(see_other(&match R::then(&form) {
                "list" => R::LIST.to_owned(),
                "add" => format!("{}add/", R::LIST),
                _ => format!("{}{}/", R::LIST, R::saved_id(&saved)),
            }))
        }
        Saving::Refused => Ok(invalid(&R::page(&ctx, current, form, errors).await?)),
        Saving::Gone => Err(ctx.not_found().await),
    }
}

/// A create (`current` is `None`) or an update, its other fields validated into `fields`
/// (`None`: they had errors), with the image to store or remove.
pub struct Change<'a, R: ImageResource> {
    pub current: Option<&'a R::Row>,
    pub fields: Option<R::Fields>,
    pub upload: Option<Upload>,
    pub remove_image: bool,
}

/// What became of a save.
pub enum Saving<S> {
    Saved(S),
    /// Refused: `errors` says why, and nothing was written.
    Refused,
    /// The row was deleted meanwhile.
    Gone,
}

/// The save of a form with an image, for the admin's form and the API alike: checks the
/// upload, then writes the row, its image change, its audit rows and any job in one
/// transaction, and clears the public cache after the commit.
pub async fn save<R: ImageResource>(
    state: &AppState,
    actor: &Actor,
    change: Change<'_, R>,
    errors: &mut FieldErrors,
) -> AppResult<Saving<R::Saved>> {
    if change.fields.is_none() || !errors.is_empty() {
        // The other fields are refused: the upload is not decoded at all. Decoding is the
        // costly part (a hostile image takes a gigabyte for a moment), and a re-shown form
        // can't keep the file anyway: it is chosen again with the corrections.
        return Ok(Saving::Refused);
    }
    let image = check(change.upload, errors).await?;
    let Some(fields) = change.fields.filter(|_| errors.is_empty()) else {
        return Ok(Saving::Refused);
    };
    let current = change.current;
    let saved =
        image_replacement::save_with_image(&state.storage, image, change.remove_image, async |image| {
            write::<R>(state, actor, current, &fields, image, errors).await
        })
        .await;
    match saved {
        Ok(Some(saved)) => Ok(Saving::Saved(saved)),
        Ok(None) => Ok(Saving::Refused),
        Err(SaveError::Gone) => Ok(Saving::Gone),
        Err(SaveError::App(err)) => Err(err),
        Err(SaveError::Store(err)) => {
            // The storage is down or refused the write: nothing was saved (the row is written
            // only after the image is stored), so the form goes back with its values.
            tracing::warn!(error = %err, "could not store an uploaded image");
            errors.add(FIELD, STORE_FAILED);
            Ok(Saving::Refused)
        }
    }
}

/// What the person reads when the media storage could not take the image.
const STORE_FAILED: &str = "The image could not be stored: the media storage did not answer. \
     Nothing was saved. Choose the image again and retry in a moment.";

/// A save's failure: the image could not be stored (before anything was written), the row
/// is gone, or the save itself failed.
enum SaveError {
    Store(StoreError),
    Gone,
    App(AppError),
}

impl From<StoreError> for SaveError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl From<AppError> for SaveError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl From<folio_db::DbErr> for SaveError {
    fn from(err: folio_db::DbErr) -> Self {
        Self::App(err.into())
    }
}

/// The save's transaction.
async fn write<R: ImageResource>(
    state: &AppState,
    actor: &Actor,
    current: Option<&R::Row>,
    fields: &R::Fields,
    image: ImageChange,
    errors: &mut FieldErrors,
) -> Result<Option<R::Saved>, SaveError> {
    let txn = folio_db::begin_write(&state.db).await?;
    let saved = match R::write(&txn, current, fields).await {
        Ok(saved) => saved,
        Err(WriteError::Gone) => return Err(SaveError::Gone),
        Err(err) => match R::refusal(&err) {
            Some((field, message)) => {
                errors.add(field, message);
                return Ok(None);
            }
            None => return Err(SaveError::App(AppError::Internal(err.into()))),
        },
    };
    image.apply(&txn, R::owner(&saved)).await?;
    R::record(&txn, actor, &saved, current.is_none()).await?;
    txn.commit().await?;
    state.site_cache.content_changed().await;
    Ok(Some(saved))
}

/// The message of a unique-index refusal, on the field it belongs to: `what` ("Item") with
/// this `name_field` ("title") or slug already exists.
pub fn taken(taken: Taken, name_field: &'static str, what: &str) -> (&'static str, String) {
    match taken {
        Taken::Name => (
            name_field,
            format!("{what} with this {name_field} already exists."),
        ),
        Taken::Slug => ("slug", format!("{what} with this slug already exists.")),
    }
}

/// Reports the unique values another object already has, beside the form's other errors. A
/// taken slug that the person left empty (derived from the name) is the name field's error:
/// that is the field they typed.
pub fn report_taken(
    errors: &mut FieldErrors,
    taken_now: &[Taken],
    name_field: &'static str,
    what: &str,
    slug_typed: bool,
) {
    for taken_one in taken_now {
        let (field, message) = match taken_one {
            Taken::Slug if !slug_typed => (
                name_field,
                format!(
                    "{what} with a {name_field} like this already exists (its slug is taken): change the {name_field} or type another slug."
                ),
            ),
            other => taken(*other, name_field, what),
        };
        errors.add(field, message);
    }
}

/// The name and slug a form would save, as the uniqueness check compares them: the name
/// trimmed, the slug as typed or else derived from the name. `None` when either holds a NUL:
/// PostgreSQL can't be sent one (the fields' own checks refuse it), so there is nothing to
/// compare.
pub fn unique_candidates<'a>(name: &'a str, typed_slug: &str) -> Option<(&'a str, String)> {
    let slug = match typed_slug.trim() {
        "" => slugify(name),
        typed => typed.to_owned(),
    };
    (!name.contains('\0') && !slug.contains('\0')).then(|| (name.trim(), slug))
}

/// Checks `upload` off the runtime; a refusal becomes the field's message.
async fn check(upload: Option<Upload>, errors: &mut FieldErrors) -> AppResult<Option<CleanImage>> {
    let Some(upload) = upload else {
        return Ok(None);
    };
    match image_replacement::clean(upload.bytes).await {
        Ok(clean) => Ok(Some(clean)),
        Err(UploadError::Refused(refusal)) => {
            errors.add(FIELD, refusal.to_string());
            Ok(None)
        }
        Err(stopped @ UploadError::Stopped(_)) => Err(AppError::Internal(stopped.into())),
    }
}

/// The current image of a form's object, as the form shows it.
pub async fn current(state: &AppState, key: Option<&String>) -> AppResult<Option<Picture>> {
    let key = key.cloned();
    let pictures = Pictures::load(state, [&key], Size::Thumb).await?;
    Ok(pictures.get(&key).cloned())
}

/// A checkbox is sent as any value when ticked and not at all otherwise.
fn ticked(value: &str) -> bool {
    !value.is_empty()
}
