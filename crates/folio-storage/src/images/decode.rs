//! From untrusted bytes to pixels: sniff, check the container is whole, read the header, check
//! the limits, and only then decode.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::{ImageError, ImageFormat, Limits, SizeLimit, integrity};

/// A fully decoded upload with its EXIF orientation already applied.
pub(crate) struct Decoded {
    pub(crate) format: ImageFormat,
    pub(crate) image: DynamicImage,
}

/// Lets the fuzz-style test see panics the safety net below would otherwise hide.
#[cfg(test)]
pub(crate) static DECODER_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub(crate) fn decode_upload(bytes: &[u8], limits: &Limits) -> Result<Decoded, ImageError> {
    let format = ImageFormat::sniff(bytes).ok_or(ImageError::NotAnImage)?;
    if !integrity::is_complete(format, bytes) {
        return Err(ImageError::Damaged);
    }
    // The decoders are meant never to panic, but they parse hostile input; a bug in one must
    // cost the upload, not the worker thread.
    let image =
        catch_unwind(AssertUnwindSafe(|| decode_pixels(format, bytes, limits))).unwrap_or_else(|_| {
            #[cfg(test)]
            DECODER_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(?format, "image decoder panicked; treating the upload as damaged");
            Err(ImageError::Damaged)
        })?;
    Ok(Decoded { format, image })
}

fn decode_pixels(format: ImageFormat, bytes: &[u8], limits: &Limits) -> Result<DynamicImage, ImageError> {
    let mut decoder = read_header(format, bytes, limits)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Damaged);
    }
    limits.check_dimensions(width, height)?;
    limits.check_decoded_size(width, height, decoder.total_bytes())?;
    let pixel_error = |error| pixel_error(error, width, height, limits);
    decoder.set_limits(limits.for_decoder()).map_err(pixel_error)?;
    // A malformed EXIF block is no reason to refuse the picture; it is then shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(pixel_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The decoder after it has read the header but no pixels. Only the allocation cap applies yet:
/// the dimension limits are checked by the caller, which can then name them in its error.
fn read_header<'a>(
    format: ImageFormat,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<impl ImageDecoder + 'a, ImageError> {
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image_crate());
    reader.limits(header_limits);
    reader.into_decoder().map_err(header_error)
}

fn header_error(error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::Unsupported(_) => ImageError::Unsupported,
        _ => ImageError::Damaged,
    }
}

fn pixel_error(error: image::ImageError, width: u32, height: u32, limits: &Limits) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::TooLarge {
            width,
            height,
            limit: SizeLimit::Memory(limits.max_alloc),
        },
        image::ImageError::Unsupported(_) => ImageError::Unsupported,
        _ => ImageError::Damaged,
    }
}
