use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::decode::decode_upload;
use super::{ImageError, ImageFormat, Limits, encode};

const THUMB_SIDE: u32 = 300;
const DISPLAY_WIDTH: u32 = 1200;
const RENDITION_JPEG_QUALITY: u8 = 82;
const RENDITION_WEBP_QUALITY: f32 = 80.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenditionKind {
    /// A 300x300 centre crop (smaller when the image is smaller; never upscaled).
    Thumb,
    /// 1200 pixels wide keeping the aspect ratio; never upscaled.
    Display,
}

impl RenditionKind {
    pub const ALL: [RenditionKind; 2] = [RenditionKind::Thumb, RenditionKind::Display];

    pub fn name(self) -> &'static str {
        match self {
            Self::Thumb => "thumb",
            Self::Display => "display",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rendition {
    pub kind: RenditionKind,
    /// WebP or Jpeg.
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// CPU-bound: call from `spawn_blocking`. Four renditions: Thumb and Display, each WebP and JPEG.
pub fn make_renditions(clean: &[u8], limits: &Limits) -> Result<Vec<Rendition>, ImageError> {
    let source = into_eight_bit(decode_upload(clean, limits)?.image);
    let (display, thumb) = resize_for_renditions(source)?;
    let mut renditions = Vec::with_capacity(4);
    for (kind, image) in [(RenditionKind::Thumb, thumb), (RenditionKind::Display, display)] {
        let image = into_rgb_or_rgba(image);
        renditions.push(encode_rendition(
            kind,
            &image,
            ImageFormat::WebP,
            encode::webp(&image, RENDITION_WEBP_QUALITY)?,
        ));
        renditions.push(encode_rendition(
            kind,
            &image,
            ImageFormat::Jpeg,
            encode::jpeg(&image, RENDITION_JPEG_QUALITY)?,
        ));
    }
    Ok(renditions)
}

fn encode_rendition(
    kind: RenditionKind,
    image: &DynamicImage,
    format: ImageFormat,
    bytes: Vec<u8>,
) -> Rendition {
    Rendition {
        kind,
        format,
        bytes,
        width: image.width(),
        height: image.height(),
    }
}

/// Returns (display, thumb). The full-size source is consumed so it is freed as soon as both
/// are made; the thumb comes from the much smaller display image whenever that has enough pixels.
fn resize_for_renditions(source: DynamicImage) -> Result<(DynamicImage, DynamicImage), ImageError> {
    let Some((width, height)) = display_size(source.width(), source.height()) else {
        let thumb = cover_square(&source)?;
        return Ok((source, thumb));
    };
    let display = resize_exact(&source, width, height)?;
    let thumb_side = thumb_side(&source);
    // A wide panorama's display image can be shorter than a thumb; crop those from the source.
    let thumb_source = if width.min(height) >= thumb_side {
        &display
    } else {
        &source
    };
    let thumb = cover_square(thumb_source)?;
    drop(source);
    Ok((display, thumb))
}

/// None when the image is already narrow enough to be shown as it is.
fn display_size(width: u32, height: u32) -> Option<(u32, u32)> {
    if width <= DISPLAY_WIDTH {
        return None;
    }
    let scaled = u64::from(height) * u64::from(DISPLAY_WIDTH) / u64::from(width);
    let scaled_height = u32::try_from(scaled).unwrap_or(u32::MAX).max(1);
    Some((DISPLAY_WIDTH, scaled_height))
}

fn thumb_side(image: &DynamicImage) -> u32 {
    image.width().min(image.height()).min(THUMB_SIDE)
}

fn cover_square(image: &DynamicImage) -> Result<DynamicImage, ImageError> {
    let side = thumb_side(image);
    let options = resize_options().fit_into_destination(Some((0.5, 0.5)));
    resize_into(image, side, side, &options)
}

fn resize_exact(image: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage, ImageError> {
    resize_into(image, width, height, &resize_options())
}

fn resize_options() -> ResizeOptions {
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
}

fn resize_into(
    image: &DynamicImage,
    width: u32,
    height: u32,
    options: &ResizeOptions,
) -> Result<DynamicImage, ImageError> {
    let mut resized = DynamicImage::new(width, height, image.color());
    Resizer::new()
        .resize(image, &mut resized, options)
        .map_err(|error| ImageError::Encoding(format!("resizing: {error}")))?;
    Ok(resized)
}

/// The resizer works on 8-bit grey, grey+alpha, RGB and RGBA as they are; only other layouts
/// (16-bit PNGs) are converted, which also halves their memory before resizing.
fn into_eight_bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

/// The encoders want RGB or RGBA. An alpha channel that is opaque everywhere is dropped: it
/// would only add bytes to the WebP.
fn into_rgb_or_rgba(image: DynamicImage) -> DynamicImage {
    let has_transparency = match &image {
        DynamicImage::ImageRgba8(rgba) => rgba.pixels().any(|pixel| pixel.0[3] < u8::MAX),
        DynamicImage::ImageLumaA8(gray) => gray.pixels().any(|pixel| pixel.0[1] < u8::MAX),
        _ => false,
    };
    if has_transparency {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}
