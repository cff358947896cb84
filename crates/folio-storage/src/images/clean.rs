use image::GenericImageView;

use super::decode::decode_upload;
use super::{ImageError, ImageFormat, Limits, encode};

/// High enough that a second generation of JPEG loss is invisible; renditions are made from this.
const CLEAN_JPEG_QUALITY: u8 = 90;

/// What an upload becomes: re-encoded pixels with EXIF orientation applied and every metadata
/// chunk gone. JPEG stays JPEG (quality 90); PNG, WebP and GIF (first frame) become PNG.
#[derive(Debug, Clone)]
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    /// After orientation: what a viewer sees, not what the sensor recorded.
    pub width: u32,
    pub height: u32,
}

/// CPU-bound: call from `spawn_blocking`. Sniffs the bytes (never the name or header), reads the
/// header and checks `limits` before allocating, and decodes fully (a truncated file fails).
pub fn clean_upload(bytes: &[u8], limits: &Limits) -> Result<CleanImage, ImageError> {
    let decoded = decode_upload(bytes, limits)?;
    let (width, height) = decoded.image.dimensions();
    let (format, bytes) = match decoded.format {
        ImageFormat::Jpeg => (
            ImageFormat::Jpeg,
            encode::jpeg(&decoded.image, CLEAN_JPEG_QUALITY)?,
        ),
        // Lossless sources stay lossless, and a PNG is what every browser shows.
        ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => {
            (ImageFormat::Png, encode::png(&decoded.image)?)
        }
    };
    Ok(CleanImage {
        bytes,
        format,
        width,
        height,
    })
}
