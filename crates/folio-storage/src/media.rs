//! Where one uploaded image's objects live, so that the upload, the thumbnail job, the delete
//! job and the pages all name them the same way:
//!
//! ```text
//! images/<uuid>/original.jpg|png
//! images/<uuid>/thumb.webp    images/<uuid>/thumb.jpg      (300×300 crop)
//! images/<uuid>/display.webp  images/<uuid>/display.jpg    (1200 wide)
//! images/<uuid>/thumb-600.webp …   display-600.* display-1800.*  (extra widths, when the
//!                                                                  original is big enough)
//! ```
//!
//! The base renditions keep the names the first release gave them, so images rendered then
//! still show; which extra widths an image has is recorded in `images.rendition_extras`.
//!
//! The uuid is random, so two uploads of the same file never share objects and deleting one
//! can't break the other; the rendition names are fixed, so a retried job overwrites rather
//! than adds.

use crate::images::{ImageFormat, RenditionKind};
use crate::store::{BadKey, Key};

/// The formats renditions are made in, best first (pages offer WebP with a JPEG fallback).
pub const RENDITION_FORMATS: [ImageFormat; 2] = [ImageFormat::WebP, ImageFormat::Jpeg];

/// The formats an original is stored in after cleaning.
const ORIGINAL_FORMATS: [ImageFormat; 2] = [ImageFormat::Jpeg, ImageFormat::Png];

/// The objects of one image, by their common prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageObjects {
    base: String,
}

impl ImageObjects {
    /// A fresh, unguessable place for a new upload.
    pub fn new_random() -> Self {
        Self {
            base: format!("images/{}", uuid::Uuid::new_v4()),
        }
    }

    /// The objects under `base` (as stored in `images.key`); refuses anything that is not a
    /// valid key, so a corrupted row can't point a delete job elsewhere.
    pub fn at(base: &str) -> Result<Self, BadKey> {
        Key::parse(base)?;
        Ok(Self {
            base: base.to_owned(),
        })
    }

    /// The prefix, as stored in `images.key`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The cleaned original, stored with `extension` (`jpg` or `png`).
    pub fn original(&self, extension: &str) -> Result<Key, BadKey> {
        Key::parse(&format!("{}/original.{extension}", self.base))
    }

    pub fn rendition(&self, kind: RenditionKind, format: ImageFormat) -> Result<Key, BadKey> {
        self.rendition_at(kind, None, format)
    }

    /// The base rendition (`extra` None) or the one at an extra width.
    pub fn rendition_at(
        &self,
        kind: RenditionKind,
        extra: Option<u32>,
        format: ImageFormat,
    ) -> Result<Key, BadKey> {
        let name = kind.object_name(extra);
        Key::parse(&format!("{}/{name}.{}", self.base, format.extension()))
    }

    /// Every object this image can have, whether or not it exists yet: deleting them all
    /// needs no listing and is safe to repeat.
    pub fn every_possible(&self) -> Result<Vec<Key>, BadKey> {
        let originals = ORIGINAL_FORMATS
            .iter()
            .map(|format| self.original(format.extension()));
        let renditions = RenditionKind::ALL.iter().flat_map(|kind| {
            let widths = std::iter::once(None).chain(kind.extra_widths().iter().copied().map(Some));
            widths.flat_map(move |extra| {
                RENDITION_FORMATS
                    .iter()
                    .map(move |format| self.rendition_at(*kind, extra, *format))
            })
        });
        originals.chain(renditions).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_places_differ_and_are_valid_keys() {
        let a = ImageObjects::new_random();
        let b = ImageObjects::new_random();
        assert_ne!(a, b);
        assert!(ImageObjects::at(a.base()).is_ok());
        assert!(a.base().starts_with("images/"));
    }

    #[test]
    fn names_are_fixed_per_image() {
        let objects = ImageObjects::at("images/abc").unwrap();
        assert_eq!(
            objects.original("jpg").unwrap().as_str(),
            "images/abc/original.jpg"
        );
        assert_eq!(
            objects
                .rendition(RenditionKind::Thumb, ImageFormat::WebP)
                .unwrap()
                .as_str(),
            "images/abc/thumb.webp"
        );
        let all: Vec<String> = objects
            .every_possible()
            .unwrap()
            .iter()
            .map(|key| key.as_str().to_owned())
            .collect();
        assert_eq!(all.len(), 12);
        assert!(all.contains(&"images/abc/display.jpg".to_owned()));
        assert!(all.contains(&"images/abc/display-1800.webp".to_owned()));
        assert!(all.contains(&"images/abc/thumb-600.jpg".to_owned()));
    }

    #[test]
    fn corrupted_rows_are_refused() {
        for bad in ["../etc", "images/../../x", "", "/abs"] {
            assert!(ImageObjects::at(bad).is_err(), "{bad:?}");
        }
    }
}
