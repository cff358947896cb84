//! The image jobs: making an upload's renditions, and deleting an image's objects once nothing
//! shows it. [`set_image`] writes the rows and jobs in the caller's transaction, so an upload
//! or delete that rolls back leaves no job, and one that commits can't lose its job.
//!
//! Both jobs are idempotent: rendition names are fixed per image (a retry overwrites), and
//! deleting an object that is already gone succeeds. A thumbnail job racing a delete converges
//! too: whichever finishes last removes what the other left (see [`MakeRenditions`]).

use bytes::Bytes;
use folio_db::queries::images::{self, NewImage, Owner};
use folio_db::{ConnectionTrait, DbErr};
use folio_storage::images::{Limits, Rendition, make_renditions};
use folio_storage::media::ImageObjects;
use folio_storage::store::{BadKey, StorageError};
use serde::{Deserialize, Serialize};

use crate::context::JobContext;
use crate::queue::{Job, JobError, enqueue};

/// Makes the renditions of image `image_key` (its `images.key`), then marks it ready.
#[derive(Debug, Serialize, Deserialize)]
pub struct MakeRenditions {
    pub image_key: String,
}

/// Deletes every object of image `image_key`; its row is already gone.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteImage {
    pub image_key: String,
}

/// In the caller's transaction: makes `new` (if any) `owner`'s image, queueing its renditions,
/// and drops `old` (if any), queueing the deletion of its objects.
pub async fn set_image(
    txn: &impl ConnectionTrait,
    owner: Owner,
    new: Option<&NewImage>,
    old: Option<&str>,
) -> Result<(), DbErr> {
    if let Some(new) = new {
        images::insert(txn, new).await?;
        enqueue(
            txn,
            &MakeRenditions {
                image_key: new.key.clone(),
            },
        )
        .await?;
    }
    images::attach(txn, owner, new.map(|new| new.key.as_str())).await?;
    if let Some(old) = old {
        forget_image(txn, old).await?;
    }
    Ok(())
}

/// In the caller's transaction: deletes image `key`'s row and queues the deletion of its
/// objects (for an owner being deleted, or an image being replaced).
pub async fn forget_image(txn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    images::delete(txn, key).await?;
    enqueue(
        txn,
        &DeleteImage {
            image_key: key.to_owned(),
        },
    )
    .await?;
    Ok(())
}

/// In the caller's transaction, before `owner` is deleted: drops its image (read under the
/// row's lock, so a concurrent replacement can't slip past) and queues the object deletion.
pub async fn forget_image_of(txn: &impl ConnectionTrait, owner: Owner) -> Result<(), DbErr> {
    match images::current_key(txn, owner).await? {
        Some(key) => forget_image(txn, &key).await,
        None => Ok(()),
    }
}

fn bad_key(err: BadKey) -> JobError {
    JobError::Permanent(format!("image key: {err}"))
}

fn storage_error(err: StorageError) -> JobError {
    JobError::Retry(format!("storage: {err}"))
}

impl Job for MakeRenditions {
    const KIND: &'static str = "make_renditions";
    const MAX_ATTEMPTS: i32 = 5;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let Some(row) = images::find(&ctx.db, &self.image_key).await? else {
            return Ok(()); // deleted before we got to it: nothing to make
        };
        if row.renditions_ready {
            return Ok(());
        }
        let objects = ImageObjects::at(&row.key).map_err(bad_key)?;
        let original = objects.original(&row.format).map_err(bad_key)?;
        let Some(stored) = ctx.storage.get(&original).await.map_err(storage_error)? else {
            return Err(JobError::Permanent(format!("the original {original} is missing")));
        };
        let renditions = render(stored.bytes).await?;
        let mut written = Vec::with_capacity(renditions.len());
        let mut extras: Vec<String> = Vec::new();
        for rendition in renditions {
            let key = objects
                .rendition_at(rendition.kind, rendition.extra, rendition.format)
                .map_err(bad_key)?;
            let name = rendition.kind.object_name(rendition.extra);
            if rendition.extra.is_some() && !extras.contains(&name) {
                extras.push(name);
            }
            let content_type = rendition.format.content_type();
            ctx.storage
                .put(&key, Bytes::from(rendition.bytes), content_type)
                .await
                .map_err(storage_error)?;
            written.push(key);
        }
        if !images::mark_ready(&ctx.db, &self.image_key, &extras.join(" ")).await? {
            // The image was deleted while we worked, and its delete job may already have run.
            for key in &written {
                ctx.storage.delete(key).await.map_err(storage_error)?;
            }
        }
        tracing::info!(image = %self.image_key, renditions = written.len(), "renditions stored");
        Ok(())
    }
}

/// Decoding and resizing take tens of milliseconds per megapixel: on the blocking pool, so the
/// runtime's threads keep serving requests and other jobs meanwhile, a few at a time
/// ([`crate::image_work`]).
async fn render(original: Bytes) -> Result<Vec<Rendition>, JobError> {
    crate::image_work::run(move || make_renditions(&original, &Limits::default()))
        .await
        .map_err(|err| JobError::Retry(format!("rendering stopped: {err}")))?
        // The original passed the same checks at upload, so a failure here will not go away.
        .map_err(|err| JobError::Permanent(format!("rendering: {err}")))
}

impl Job for DeleteImage {
    const KIND: &'static str = "delete_image";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let objects = ImageObjects::at(&self.image_key).map_err(bad_key)?;
        for key in objects.every_possible().map_err(bad_key)? {
            ctx.storage.delete(&key).await.map_err(storage_error)?;
        }
        tracing::info!(image = %self.image_key, "image objects deleted");
        Ok(())
    }
}
