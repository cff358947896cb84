//! Uploaded images: sniffing, decoding under limits, orientation, and renditions.
//!
//! Uploads are hostile until proven otherwise. [`clean_upload`] decides the format from the
//! bytes alone, refuses files whose header declares more pixels than [`Limits`] allow before any
//! pixel buffer exists, refuses truncated files, applies the EXIF orientation and re-encodes, so
//! nothing the uploader's camera or editor embedded (GPS position, comments, thumbnails) is kept.
//! [`make_renditions`] turns a clean image into the thumbnails and display images pages use.
//!
//! Both are CPU-bound: call them from `spawn_blocking`.

mod clean;
mod decode;
mod encode;
mod error;
mod format;
mod integrity;
mod limits;
mod renditions;
#[cfg(test)]
mod tests;

pub use clean::{CleanImage, clean_upload};
pub use error::{ImageError, SizeLimit};
pub use format::ImageFormat;
pub use limits::Limits;
pub use renditions::{Rendition, RenditionKind, make_renditions, parse_extras};
