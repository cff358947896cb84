//! Uploaded images on pages, and serving them from local storage.
//!
//! With the local backend the app serves `/media/<key>` itself: keys are random and objects
//! never change, so responses are cacheable for a year and carry a strong ETag. With S3 the app
//! serves nothing here (404): pages link to the CDN (`FOLIO_MEDIA_BASE_URL`) or to presigned
//! URLs. Keys are validated before they reach storage, so no request can leave the media
//! directory, and nothing lists it.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use folio_db::entities::image;
use folio_db::queries::images;
use folio_storage::images::{ImageFormat, RenditionKind};
use folio_storage::media::ImageObjects;
use folio_storage::store::{Key, StoredObject};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{*key}", get(serve))
}

/// Objects never change under a key (a new upload gets a new key).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

async fn serve(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if !state.storage.is_local() {
        return Err(AppError::NotFound);
    }
    let key = Key::parse(&key).map_err(|_| AppError::NotFound)?;
    let object = state
        .storage
        .get(&key)
        .await
        .map_err(|err| AppError::Internal(anyhow::anyhow!("reading {key}: {err}")))?
        .ok_or(AppError::NotFound)?;
    Ok(respond(object, &headers))
}

fn respond(object: StoredObject, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&object.info.etag).ok();
    let fresh = etag.as_ref().is_some_and(|etag| {
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .any(|candidate| candidate == etag || candidate == "*")
    });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content_type = HeaderValue::from_str(&object.info.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        ([(header::CONTENT_TYPE, content_type)], object.bytes).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Some(etag) = etag {
        out.insert(header::ETAG, etag);
    }
    // An image is never a document: even if a browser were told to open one, it runs nothing.
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// How big a page shows an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The 300×300 crop of cards and lists.
    Thumb,
    /// The 1200-wide picture of an item's page.
    Display,
}

impl Size {
    fn rendition(self) -> RenditionKind {
        match self {
            Self::Thumb => RenditionKind::Thumb,
            Self::Display => RenditionKind::Display,
        }
    }

    /// The rendition's dimensions for an original of `width`×`height` (never upscaled).
    fn dimensions(self, width: u32, height: u32) -> (u32, u32) {
        match self {
            Self::Thumb => {
                let side = width.min(height).min(300);
                (side, side)
            }
            Self::Display if width <= 1200 => (width, height),
            Self::Display => {
                let scaled = (u64::from(height) * 1200).div_ceil(u64::from(width));
                (1200, u32::try_from(scaled).unwrap_or(u32::MAX))
            }
        }
    }
}

/// One image as a page shows it: WebP with a JPEG fallback once the renditions exist, the
/// original until then.
#[derive(Clone, Debug)]
pub struct Picture {
    pub src: String,
    pub webp: Option<String>,
    pub width: u32,
    pub height: u32,
}

/// The pictures of one page, by image key.
#[derive(Clone, Debug, Default)]
pub struct Pictures(HashMap<String, Picture>);

impl Pictures {
    /// The pictures for `keys` (duplicates and `None`s are fine) at `size`.
    pub async fn load<'a>(
        state: &AppState,
        keys: impl IntoIterator<Item = &'a Option<String>>,
        size: Size,
    ) -> AppResult<Self> {
        let mut wanted: Vec<String> = keys.into_iter().flatten().cloned().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut pictures = HashMap::with_capacity(wanted.len());
        for row in images::find_many(&state.db, &wanted).await? {
            let picture = picture(state, &row, size).await?;
            pictures.insert(row.key, picture);
        }
        Ok(Self(pictures))
    }

    pub fn get(&self, key: &Option<String>) -> Option<&Picture> {
        self.0.get(key.as_deref()?)
    }
}

async fn picture(state: &AppState, row: &image::Model, size: Size) -> AppResult<Picture> {
    let bad_row = |err| AppError::Internal(anyhow::anyhow!("image {}: {err}", row.key));
    let objects = ImageObjects::at(&row.key).map_err(bad_row)?;
    let (width, height) = size.dimensions(
        u32::try_from(row.width).unwrap_or(1),
        u32::try_from(row.height).unwrap_or(1),
    );
    let url = |key: Key| async move {
        state
            .storage
            .public_url(&key)
            .await
            .map_err(|err| AppError::Internal(anyhow::anyhow!("media URL of {key}: {err}")))
    };
    if !row.renditions_ready {
        let original = objects.original(&row.format).map_err(bad_row)?;
        return Ok(Picture {
            src: url(original).await?,
            webp: None,
            width,
            height,
        });
    }
    let kind = size.rendition();
    let webp = objects.rendition(kind, ImageFormat::WebP).map_err(bad_row)?;
    let jpeg = objects.rendition(kind, ImageFormat::Jpeg).map_err(bad_row)?;
    Ok(Picture {
        src: url(jpeg).await?,
        webp: Some(url(webp).await?),
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::Size;

    #[test]
    fn rendition_dimensions_follow_the_renditions() {
        assert_eq!(Size::Thumb.dimensions(4000, 3000), (300, 300));
        assert_eq!(Size::Thumb.dimensions(120, 80), (80, 80));
        assert_eq!(Size::Display.dimensions(4000, 3000), (1200, 900));
        assert_eq!(Size::Display.dimensions(800, 600), (800, 600));
    }
}
