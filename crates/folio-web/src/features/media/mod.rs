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
use folio_storage::images::{ImageFormat, RenditionKind, parse_extras};
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
    /// The square crop beside an item in lists (96 CSS pixels, see folio.css).
    Thumb,
    /// The square crop heading a card in the categories grid (as wide as the card).
    Tile,
    /// The 1200-wide picture of an item's page.
    Display,
}

impl Size {
    fn rendition(self) -> RenditionKind {
        match self {
            Self::Thumb | Self::Tile => RenditionKind::Thumb,
            Self::Display => RenditionKind::Display,
        }
    }

    /// How wide the layout shows it (the `sizes` attribute), from folio.css: list thumbs are
    /// 96px; grid cards are at least 260px in a 1080px page (two or three a row, about 340px),
    /// full width less padding on phones; the article column is about 720px, full width less
    /// padding below the 760px breakpoint.
    pub fn layout_sizes(self) -> &'static str {
        match self {
            Self::Thumb => "96px",
            Self::Tile => "(max-width: 760px) calc(100vw - 5rem), 340px",
            Self::Display => "(max-width: 760px) calc(100vw - 4.5rem), 720px",
        }
    }

    /// The rendition's dimensions for an original of `width`×`height` (never upscaled).
    fn dimensions(self, width: u32, height: u32) -> (u32, u32) {
        match self {
            Self::Thumb | Self::Tile => {
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

/// One image as a page shows it: WebP with a JPEG fallback once the renditions exist, each at
/// every width made (`srcset` with `w` descriptors), the original until then.
#[derive(Clone, Debug)]
pub struct Picture {
    /// The base JPEG rendition (or the original): the `src` every browser understands.
    pub src: String,
    /// The WebP `srcset`, once the renditions exist.
    pub webp: Option<String>,
    /// The JPEG `srcset`, once the renditions exist.
    pub jpeg: Option<String>,
    /// The `sizes` attribute matching the layout.
    pub sizes: &'static str,
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
            jpeg: None,
            sizes: size.layout_sizes(),
            width,
            height,
        });
    }
    let kind = size.rendition();
    // The base rendition (under the name every release made) plus the extra widths this
    // image's row lists; images rendered before extras existed list none.
    let mut widths: Vec<(Option<u32>, u32)> = vec![(None, width)];
    for (extra_kind, extra) in parse_extras(&row.rendition_extras) {
        if extra_kind == kind && extra != width {
            widths.push((Some(extra), extra));
        }
    }
    widths.sort_unstable_by_key(|(_, width)| *width);
    let mut srcsets = Vec::with_capacity(2);
    for format in [ImageFormat::WebP, ImageFormat::Jpeg] {
        let mut candidates = Vec::with_capacity(widths.len());
        for (extra, width) in &widths {
            let key = objects.rendition_at(kind, *extra, format).map_err(bad_row)?;
            candidates.push(format!("{} {width}w", url(key).await?));
        }
        srcsets.push(candidates.join(", "));
    }
    let jpeg = objects.rendition(kind, ImageFormat::Jpeg).map_err(bad_row)?;
    let jpeg_srcset = srcsets.pop();
    Ok(Picture {
        src: url(jpeg).await?,
        webp: srcsets.pop(),
        jpeg: jpeg_srcset,
        sizes: size.layout_sizes(),
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
