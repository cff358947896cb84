//! The image field of the category and item forms.
//!
//! A save with a new image goes: check the upload (sniffed, decoded under limits, cleaned: off
//! the runtime) → store the cleaned original under a fresh random key → in the save's
//! transaction, record it and queue its renditions (and the deletion of the image it
//! replaces). If the transaction does not commit, the stored original is removed again, so a
//! refused save leaves nothing behind.

use bytes::Bytes;
use folio_db::DbErr;
use folio_db::queries::images::{NewImage, Owner};
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

/// An image change waiting for its save's transaction: the cleaned upload already stored (if
/// there was one) and whether the "remove" box was ticked.
pub struct Pending {
    stored: Option<Stored>,
    remove: bool,
}

impl Pending {
    /// Stores the checked upload, if any, under a fresh key.
    pub async fn store(storage: &Storage, checked: Option<Checked>, remove: bool) -> AppResult<Self> {
        let stored = match checked {
            Some(checked) => Some(store(storage, checked).await?),
            None => None,
        };
        Ok(Self { stored, remove })
    }

    /// What the transaction must do.
    pub fn change(&self) -> Change<'_> {
        Change::of(self.stored.as_ref(), self.remove)
    }

    /// After the save: keeps the stored original only if the save `committed`. A failed
    /// removal is only logged: the save's own outcome is what the person needs to see, and an
    /// unreferenced object harms nobody.
    pub async fn settle(self, storage: &Storage, committed: bool) {
        let Some(stored) = self.stored.filter(|_| !committed) else {
            return;
        };
        if let Err(err) = storage.delete(&stored.key).await {
            tracing::warn!(key = %stored.key, error = %err, "could not remove the original of a refused save");
        }
    }
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

/// What a save does to its object's image.
#[derive(Clone, Copy)]
pub enum Change<'a> {
    Keep,
    Replace(&'a NewImage),
    Remove,
}

impl<'a> Change<'a> {
    /// A new upload wins over the "remove" box.
    fn of(stored: Option<&'a Stored>, remove: bool) -> Self {
        match (stored, remove) {
            (Some(stored), _) => Self::Replace(&stored.image),
            (None, true) => Self::Remove,
            (None, false) => Self::Keep,
        }
    }

    /// Applies the change in the save's transaction; `current` is the owner's image now.
    pub async fn apply(
        self,
        txn: &impl ConnectionTrait,
        owner: Owner,
        current: Option<&str>,
    ) -> Result<(), DbErr> {
        match self {
            Self::Keep => Ok(()),
            Self::Replace(new) => set_image(txn, owner, Some(new), current).await,
            Self::Remove if current.is_some() => set_image(txn, owner, None, current).await,
            Self::Remove => Ok(()),
        }
    }
}

/// A checkbox is sent as any value when ticked and not at all otherwise.
pub fn ticked(value: &str) -> bool {
    !value.is_empty()
}
