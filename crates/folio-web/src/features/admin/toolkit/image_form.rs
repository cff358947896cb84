//! The save of a form that carries an image (categories, items): validate, check the upload,
//! then one transaction with the row, its image change, its audit rows and any job, and the
//! public cache cleared after the commit. Storing and replacing the image itself is
//! `folio_jobs::image_replacement`'s; each resource says only what is its own
//! ([`ImageResource`]).

use folio_db::DatabaseTransaction;
use folio_db::queries::images::Owner;
use folio_db::queries::write_error::{Taken, WriteError};
use folio_jobs::image_replacement::{self, ImageChange, StoreError, UploadError};
use folio_storage::images::CleanImage;

use super::super::Staff;
use crate::error::{AppError, AppResult};
use crate::features::media::{Picture, Pictures, Size};
use crate::forms::FieldErrors;
use crate::session::RequestContext;
use crate::state::AppState;
use crate::uploads::Upload;

/// The form field the image's messages go to.
pub const FIELD: &str = "image";

/// What a resource with an image form says about its own saves.
pub trait ImageResource {
    /// The row being edited.
    type Row: Sync;
    /// The form's values, validated.
    type Fields: Sync;
    /// What a write returns.
    type Saved: Send;

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
        staff: &Staff,
        saved: &Self::Saved,
        created: bool,
    ) -> AppResult<()>;

    /// What the person is told after the save.
    fn done(saved: &Self::Saved, created: bool) -> String;
}

/// Saves a form whose other fields were validated into `fields` (`None`: they had errors).
/// `Ok(None)` means the form goes back with `errors`.
pub async fn save<R: ImageResource>(
    staff: &Staff,
    ctx: &RequestContext,
    current: Option<&R::Row>,
    fields: Option<R::Fields>,
    upload: Option<Upload>,
    clear_image: &str,
    errors: &mut FieldErrors,
) -> AppResult<Option<R::Saved>> {
    let image = check(upload, errors).await?;
    let Some(fields) = fields.filter(|_| errors.is_empty()) else {
        return Ok(None);
    };
    let remove = ticked(clear_image);
    image_replacement::save_with_image(&ctx.state.storage, image, remove, async |change| {
        write::<R>(staff, ctx, current, &fields, change, errors).await
    })
    .await
}

/// The save's transaction.
async fn write<R: ImageResource>(
    staff: &Staff,
    ctx: &RequestContext,
    current: Option<&R::Row>,
    fields: &R::Fields,
    image: ImageChange,
    errors: &mut FieldErrors,
) -> AppResult<Option<R::Saved>> {
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let saved = match R::write(&txn, current, fields).await {
        Ok(saved) => saved,
        Err(WriteError::Gone) => return Err(ctx.not_found().await),
        Err(err) => match R::refusal(&err) {
            Some((field, message)) => {
                errors.add(field, message);
                return Ok(None);
            }
            None => return Err(AppError::Internal(err.into())),
        },
    };
    image.apply(&txn, R::owner(&saved)).await?;
    let created = current.is_none();
    R::record(&txn, staff, &saved, created).await?;
    txn.commit().await?;
    ctx.state.site_cache.invalidate_all();
    ctx.flash(R::done(&saved, created));
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

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        Self::Internal(err.into())
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
