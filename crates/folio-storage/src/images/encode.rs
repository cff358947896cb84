//! Writing pixels back out. Encoders only write what they are given, so re-encoding is what
//! strips EXIF, GPS, comments and every other chunk the upload carried.

use image::codecs::png::PngEncoder;
use image::{DynamicImage, RgbImage, RgbaImage};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, SamplingFactor};

use super::ImageError;

/// Always 4:2:0 with averaged chroma, as cameras write: jpeg-encoder would switch to 4:4:4 at
/// quality 90, making the stored original about a third larger for no visible gain.
pub(crate) fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    match image {
        DynamicImage::ImageLuma8(gray) => write_jpeg(gray, gray.dimensions(), ColorType::Luma, quality),
        DynamicImage::ImageRgb8(rgb) => write_jpeg(rgb, rgb.dimensions(), ColorType::Rgb, quality),
        other if other.color().has_alpha() => {
            let flat = flatten_onto_white(other);
            write_jpeg(&flat, flat.dimensions(), ColorType::Rgb, quality)
        }
        other => {
            let rgb = other.to_rgb8();
            write_jpeg(&rgb, rgb.dimensions(), ColorType::Rgb, quality)
        }
    }
}

fn write_jpeg(
    pixels: &[u8],
    (width, height): (u32, u32),
    color: ColorType,
    quality: u8,
) -> Result<Vec<u8>, ImageError> {
    let too_large = || ImageError::Encoding(format!("{width}x{height} is too large for a JPEG"));
    let width = u16::try_from(width).map_err(|_| too_large())?;
    let height = u16::try_from(height).map_err(|_| too_large())?;
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    // Optimised Huffman tables stay off: with jpeg-encoder 0.7.1 they produce files that
    // zune-jpeg decodes to garbage (see the round-trip test), and they buffer every coefficient.
    encoder
        .encode(pixels, width, height, color)
        .map_err(|error| ImageError::Encoding(format!("JPEG: {error}")))?;
    Ok(out)
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
    use image::{DynamicImage, Rgb, RgbImage};

    use super::{blend_over_white, jpeg};

    #[test]
    fn jpeg_output_decodes_back_to_nearly_the_same_pixels() -> Result<(), Box<dyn std::error::Error>> {
        let source = RgbImage::from_fn(96, 64, |x, y| {
            let wobble = ((x * 7 + y * 13) % 11) as u8;
            Rgb([(x * 2) as u8 + wobble, (y * 3) as u8, 90 + wobble])
        });
        let encoded = jpeg(&DynamicImage::ImageRgb8(source.clone()), 82)?;
        let decoded = image::load_from_memory(&encoded)?.into_rgb8();
        let total: u64 = source
            .as_raw()
            .iter()
            .zip(decoded.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = total as f64 / source.as_raw().len() as f64;
        assert!(mean < 6.0, "mean difference {mean}");
        Ok(())
    }

    #[test]
    fn alpha_blends_towards_white() {
        assert_eq!(blend_over_white(0, 0), 255);
        assert_eq!(blend_over_white(0, 255), 0);
        assert_eq!(blend_over_white(10, 255), 10);
        assert_eq!(blend_over_white(0, 128), 127);
    }
}
