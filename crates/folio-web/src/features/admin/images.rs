//! The image field of the category and item forms.
//!
//! A save with a new image goes: check the upload (sniffed, decoded under limits, cleaned: off
//! the runtime) → store the cleaned original under a fresh random key → in the save's
//! transaction, record it and queue its renditions (and the deletion of the image it
//! replaces). If the transaction does not commit, the stored original is removed again, so a
//! refused save leaves nothing behind.

use bytes::Bytes;
use folio_db::DbErr;
use folio_db::queries::images::{self, NewImage, Owner};
use folio_jobs::jobs::images::set_image;
use folio_storage::Storage;
use folio_storage::images::{CleanImage, Limits, clean_upload};
use folio_storage::media::ImageObjects;
use folio_storage::store::Key;
use sea_orm::ConnectionTrait;

use crate::error::{AppError, AppResult};
use crate::features::media::{Picture, Pictures, Size};
use crate::forms::FieldErrors;
use crate::state::AppState;
use crate::uploads::Upload;

/// The form field the messages go to.
pub const FIELD: &str = "image";

/// An upload that passed the checks, not yet stored.
pub struct Checked(CleanImage);

/// Checks `upload` off the runtime; a refusal becomes the field's message.
pub async fn check(upload: Option<Upload>, errors: &mut FieldErrors) -> AppResult<Option<Checked>> {
    let Some(upload) = upload else {
        return Ok(None);
    };
    let cleaned = tokio::task::spawn_blocking(move || clean_upload(&upload.bytes, &Limits::default()))
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("image check stopped: {err}")))?;
    match cleaned {
        Ok(clean) => Ok(Some(Checked(clean))),
        Err(refusal) => {
            errors.add(FIELD, refusal.to_string());
            Ok(None)
        }
    }
}

/// Runs a save with an image field: the checked upload (if any) is stored first, `write` runs
/// the save's transaction with the resulting [`Change`], and the stored original is removed
/// again unless `write` committed (`Ok(Some(_))`). A failed removal is only logged: the save's
/// own outcome is what the person needs to see, and an unreferenced object harms nobody.
pub async fn save_with<T, Fut>(
    storage: &Storage,
    checked: Option<Checked>,
    remove: bool,
    write: impl FnOnce(Change) -> Fut,
) -> AppResult<Option<T>>
where
    Fut: Future<Output = AppResult<Option<T>>>,
{
    let stored = match checked {
        Some(checked) => Some(store(storage, checked).await?),
        None => None,
    };
    let change = match (&stored, remove) {
        (Some(stored), _) => Change::Replace(stored.image.clone()),
        (None, true) => Change::Remove,
        (None, false) => Change::Keep,
    };
    let outcome = write(change).await;
    let committed = matches!(outcome, Ok(Some(_)));
    if let Some(stored) = stored.filter(|_| !committed)
        && let Err(err) = storage.delete(&stored.key).await
    {
        tracing::warn!(key = %stored.key, error = %err, "could not remove the original of a refused save");
    }
    outcome
}

/// A cleaned original in storage.
struct Stored {
    image: NewImage,
    key: Key,
}

async fn store(storage: &Storage, checked: Checked) -> AppResult<Stored> {
    let Checked(clean) = checked;
    let objects = ImageObjects::new_random();
    let extension = clean.format.extension();
    let key = objects
        .original(extension)
        .map_err(|err| AppError::Internal(anyhow::anyhow!("image key: {err}")))?;
    let image = NewImage {
        key: objects.base().to_owned(),
        format: extension.to_owned(),
        width: clean.width,
        height: clean.height,
        byte_size: clean.bytes.len() as u64,
    };
    storage
        .put(&key, Bytes::from(clean.bytes), clean.format.content_type())
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("storing an upload: {err}")))?;
    Ok(Stored { image, key })
}

/// The current image of a form's object, as the form shows it.
pub async fn current(state: &AppState, key: Option<&String>) -> AppResult<Option<Picture>> {
    let key = key.cloned();
    let pictures = Pictures::load(state, [&key], Size::Thumb).await?;
    Ok(pictures.get(&key).cloned())
}

/// What a save does to its object's image (a new upload wins over the "remove" box).
pub enum Change {
    Keep,
    Replace(NewImage),
    Remove,
}

impl Change {
    /// Applies the change in the save's transaction, after the owner's row was written (so
    /// its current image is read under the row's lock).
    pub async fn apply(self, txn: &impl ConnectionTrait, owner: Owner) -> Result<(), DbErr> {
        let current = match self {
            Self::Keep => return Ok(()),
            Self::Replace(_) | Self::Remove => images::current_key(txn, owner).await?,
        };
        match self {
            Self::Replace(new) => set_image(txn, owner, Some(&new), current.as_deref()).await,
            Self::Remove if current.is_some() => set_image(txn, owner, None, current.as_deref()).await,
            Self::Keep | Self::Remove => Ok(()),
        }
    }
}

/// A checkbox is sent as any value when ticked and not at all otherwise.
pub fn ticked(value: &str) -> bool {
    !value.is_empty()
}
