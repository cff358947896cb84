use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::DynamicImage;

use super::decode::decode_upload;
use super::{ImageError, ImageFormat, Limits, encode};

const THUMB_SIDE: u32 = 300;
const DISPLAY_WIDTH: u32 = 1200;
/// The extra widths made beside the base ones, for dense screens (thumb, display) and phones
/// (the small display). Only ever add to these: the delete job removes every one listed.
const LARGE_THUMB_SIDE: u32 = 600;
const SMALL_DISPLAY_WIDTH: u32 = 600;
const LARGE_DISPLAY_WIDTH: u32 = 1800;
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

    /// The widths this kind may also be made at, beyond its base rendition (stored under a
    /// suffixed name; the base keeps the unsuffixed name older releases made).
    pub fn extra_widths(self) -> &'static [u32] {
        match self {
            Self::Thumb => &[LARGE_THUMB_SIDE],
            Self::Display => &[SMALL_DISPLAY_WIDTH, LARGE_DISPLAY_WIDTH],
        }
    }

    /// The object name of this kind at `extra` width (`thumb-600`), or of its base (`thumb`).
    pub fn object_name(self, extra: Option<u32>) -> String {
        match extra {
            Some(width) => format!("{}-{width}", self.name()),
            None => self.name().to_owned(),
        }
    }

    /// Parses `object_name`'s extra form (`display-1800`); None for anything else.
    pub fn parse_extra(name: &str) -> Option<(Self, u32)> {
        let (kind, width) = name.split_once('-')?;
        let kind = Self::ALL.into_iter().find(|candidate| candidate.name() == kind)?;
        let width: u32 = width.parse().ok()?;
        kind.extra_widths().contains(&width).then_some((kind, width))
    }
}

/// The extra renditions of an image as listed in `images.rendition_extras`: the object names
/// separated by spaces. Unknown names (from a later release) are skipped.
pub fn parse_extras(list: &str) -> Vec<(RenditionKind, u32)> {
    list.split_whitespace()
        .filter_map(RenditionKind::parse_extra)
        .collect()
}

#[derive(Debug, Clone)]
pub struct Rendition {
    pub kind: RenditionKind,
    /// None for the base rendition; the width for an extra one (see `extra_widths`).
    pub extra: Option<u32>,
    /// WebP or Jpeg.
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// CPU-bound: call from `spawn_blocking`. Thumb and Display, each WebP and JPEG, at their base
/// sizes and at every extra width the original is big enough for (nothing is upscaled).
pub fn make_renditions(clean: &[u8], limits: &Limits) -> Result<Vec<Rendition>, ImageError> {
    let source = into_eight_bit(decode_upload(clean, limits)?.image);
    let mut images = Vec::with_capacity(5);
    if source.width() >= LARGE_DISPLAY_WIDTH {
        let height = scaled_height(source.width(), source.height(), LARGE_DISPLAY_WIDTH);
        let large = resize_exact(&source, LARGE_DISPLAY_WIDTH, height)?;
        images.push((RenditionKind::Display, Some(LARGE_DISPLAY_WIDTH), large));
    }
    if source.width().min(source.height()) >= LARGE_THUMB_SIDE {
        let large = cover_square_side(&source, LARGE_THUMB_SIDE)?;
        images.push((RenditionKind::Thumb, Some(LARGE_THUMB_SIDE), large));
    }
    let (display, thumb) = resize_for_renditions(source)?;
    if display.width() > SMALL_DISPLAY_WIDTH {
        let height = scaled_height(display.width(), display.height(), SMALL_DISPLAY_WIDTH);
        let small = resize_exact(&display, SMALL_DISPLAY_WIDTH, height)?;
        images.push((RenditionKind::Display, Some(SMALL_DISPLAY_WIDTH), small));
    }
    images.push((RenditionKind::Thumb, None, thumb));
    images.push((RenditionKind::Display, None, display));
    let mut renditions = Vec::with_capacity(images.len() * 2);
    for (kind, extra, image) in images {
        let image = into_rgb_or_rgba(image);
        renditions.push(encode_rendition(
            kind,
            extra,
            &image,
            ImageFormat::WebP,
            encode::webp(&image, RENDITION_WEBP_QUALITY)?,
        ));
        renditions.push(encode_rendition(
            kind,
            extra,
            &image,
            ImageFormat::Jpeg,
            encode::jpeg(&image, RENDITION_JPEG_QUALITY)?,
        ));
    }
    Ok(renditions)
}

fn scaled_height(width: u32, height: u32, new_width: u32) -> u32 {
    let scaled = u64::from(height) * u64::from(new_width) / u64::from(width.max(1));
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

fn encode_rendition(
    kind: RenditionKind,
    extra: Option<u32>,
    image: &DynamicImage,
    format: ImageFormat,
    bytes: Vec<u8>,
) -> Rendition {
    Rendition {
        kind,
        extra,
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
    Some((DISPLAY_WIDTH, scaled_height(width, height, DISPLAY_WIDTH)))
}

fn thumb_side(image: &DynamicImage) -> u32 {
    image.width().min(image.height()).min(THUMB_SIDE)
}

fn cover_square(image: &DynamicImage) -> Result<DynamicImage, ImageError> {
    cover_square_side(image, thumb_side(image))
}

fn cover_square_side(image: &DynamicImage, side: u32) -> Result<DynamicImage, ImageError> {
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
