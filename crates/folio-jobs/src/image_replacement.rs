//! Replacing (or removing) the image of a category or item: the one place that knows every
//! step, so the admin's forms only say what the person asked for.
//!
//! A save with a new image goes: clean the upload (sniffed, decoded under limits, re-encoded:
//! off the runtime) → store the cleaned original under a fresh random key → in the save's
//! transaction, record it and queue its renditions and the deletion of the image it replaces
//! ([`set_image`]). If the save does not commit, the stored original is removed again, so a
//! refused save leaves nothing behind.

use bytes::Bytes;
use folio_db::queries::images::{self, NewImage, Owner};
use folio_db::{ConnectionTrait, DbErr};
use folio_storage::Storage;
use folio_storage::images::{CleanImage, ImageError, Limits, clean_upload};
use folio_storage::media::ImageObjects;
use folio_storage::store::Key;

use crate::jobs::images::set_image;

/// Why an upload can't become an image.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The upload is not an image we accept; the message is for the person.
    #[error("{0}")]
    Refused(ImageError),
    /// The cleaning task stopped (a panic in a decoder): a fault, not the person's.
    #[error("image check stopped: {0}")]
    Stopped(String),
}

/// Cleans an upload off the runtime (decoding and re-encoding take tens of milliseconds per
/// megapixel), a few at a time ([`crate::image_work`]).
pub async fn clean(upload: Bytes) -> Result<CleanImage, UploadError> {
    crate::image_work::run(move || clean_upload(&upload, &Limits::default()))
        .await
        .map_err(UploadError::Stopped)?
        .map_err(UploadError::Refused)
}

/// What a save does to its object's image (a new upload wins over the "remove" box).
pub enum ImageChange {
    Keep,
    Replace(NewImage),
    Remove,
}

impl ImageChange {
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

/// Why the original of a new image could not be stored.
#[derive(Debug, thiserror::Error)]
#[error("storing an upload: {0}")]
pub struct StoreError(String);

/// Runs a save that may change an image: `image` (if any) is stored first, `save` runs the
/// save's transaction with the resulting [`ImageChange`] and says whether it committed, and
/// the stored original is removed again unless it did. A failed removal is only logged: the
/// save's own outcome is what the person needs to see, and an unreferenced object harms
/// nobody.
pub async fn save_with_image<T, E>(
    storage: &Storage,
    image: Option<CleanImage>,
    remove: bool,
    save: impl AsyncFnOnce(ImageChange) -> Result<Option<T>, E>,
) -> Result<Option<T>, E>
where
    E: From<StoreError>,
{
    let stored = match image {
        Some(image) => Some(store(storage, image).await?),
        None => None,
    };
    let change = match (&stored, remove) {
        (Some(stored), _) => ImageChange::Replace(stored.image.clone()),
        (None, true) => ImageChange::Remove,
        (None, false) => ImageChange::Keep,
    };
    let outcome = save(change).await;
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

async fn store(storage: &Storage, clean: CleanImage) -> Result<Stored, StoreError> {
    let objects = ImageObjects::new_random();
    let extension = clean.format.extension();
    let key = objects
        .original(extension)
        .map_err(|err| StoreError(format!("image key: {err}")))?;
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
        .map_err(|err| StoreError(err.to_string()))?;
    Ok(Stored { image, key })
}

/// Deleting an object with an image goes through here too.
pub use crate::jobs::images::forget_image_of;
