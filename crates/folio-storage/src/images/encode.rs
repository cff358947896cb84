//! Writing pixels back out. Encoders only write what they are given, so re-encoding is what
//! strips EXIF, GPS, comments and every other chunk the upload carried.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder, RgbImage, RgbaImage};

use super::ImageError;

pub(crate) fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut out, quality);
    match image {
        DynamicImage::ImageLuma8(gray) => encoder.write_image(
            gray.as_raw(),
            gray.width(),
            gray.height(),
            image::ExtendedColorType::L8,
        ),
        DynamicImage::ImageRgb8(rgb) => write_rgb(encoder, rgb),
        other if other.color().has_alpha() => write_rgb(encoder, &flatten_onto_white(other)),
        other => write_rgb(encoder, &other.to_rgb8()),
    }
    .map_err(encoding_error)?;
    Ok(out)
}

fn write_rgb(encoder: impl ImageEncoder, rgb: &RgbImage) -> image::ImageResult<()> {
    encoder.write_image(
        rgb.as_raw(),
        rgb.width(),
        rgb.height(),
        image::ExtendedColorType::Rgb8,
    )
}

/// JPEG has no transparency; transparent areas of a logo should come out white, not black.
fn flatten_onto_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        image::Rgb([r, g, b].map(|channel| blend_over_white(channel, a)))
    })
}

fn blend_over_white(channel: u8, alpha: u8) -> u8 {
    let (channel, alpha) = (u32::from(channel), u32::from(alpha));
    let blended = (channel * alpha + 255 * (255 - alpha) + 127) / 255;
    u8::try_from(blended).unwrap_or(u8::MAX)
}

pub(crate) fn png(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    image
        .write_with_encoder(PngEncoder::new(&mut out))
        .map_err(encoding_error)?;
    Ok(out)
}

/// Lossy WebP through libwebp: the `image` crate only writes lossless WebP, several times larger
/// for photographs.
pub(crate) fn webp(image: &DynamicImage, quality: f32) -> Result<Vec<u8>, ImageError> {
    let encoded = match image {
        DynamicImage::ImageRgb8(rgb) => encode_webp_rgb(rgb, quality),
        DynamicImage::ImageRgba8(rgba) => encode_webp_rgba(rgba, quality),
        other if other.color().has_alpha() => encode_webp_rgba(&other.to_rgba8(), quality),
        other => encode_webp_rgb(&other.to_rgb8(), quality),
    };
    encoded.map_err(|error| ImageError::Encoding(format!("WebP: {error:?}")))
}

fn encode_webp_rgb(rgb: &RgbImage, quality: f32) -> Result<Vec<u8>, webp::WebPEncodingError> {
    webp::Encoder::from_rgb(rgb.as_raw(), rgb.width(), rgb.height())
        .encode_simple(false, quality)
        .map(|memory| memory.to_vec())
}

fn encode_webp_rgba(rgba: &RgbaImage, quality: f32) -> Result<Vec<u8>, webp::WebPEncodingError> {
    webp::Encoder::from_rgba(rgba.as_raw(), rgba.width(), rgba.height())
        .encode_simple(false, quality)
        .map(|memory| memory.to_vec())
}

fn encoding_error(error: image::ImageError) -> ImageError {
    ImageError::Encoding(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::blend_over_white;

    #[test]
    fn alpha_blends_towards_white() {
        assert_eq!(blend_over_white(0, 0), 255);
        assert_eq!(blend_over_white(0, 255), 0);
        assert_eq!(blend_over_white(10, 255), 10);
        assert_eq!(blend_over_white(0, 128), 127);
    }
}
