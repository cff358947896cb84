//! Behaviour of the public functions on images generated here, so no fixture files are needed.

use std::error::Error;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use super::decode::DECODER_PANICS;
use super::*;

type TestResult<T = ()> = Result<T, Box<dyn Error>>;

// ---- generating images ----

/// A gradient with deterministic noise: compresses like a photograph rather than a flat colour.
fn photo_like(width: u32, height: u32) -> RgbImage {
    let mut noise = Noise::new(u64::from(width) << 32 | u64::from(height));
    RgbImage::from_fn(width, height, |x, y| {
        let r = (x * 255 / width.max(1)) as u8;
        let g = (y * 255 / height.max(1)) as u8;
        let jitter = (noise.next() % 24) as u8;
        Rgb([
            r.saturating_add(jitter),
            g.saturating_add(jitter / 2),
            128 + jitter,
        ])
    })
}

fn jpeg_of(image: &RgbImage) -> TestResult<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).write_image(
        image.as_raw(),
        image.width(),
        image.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn jpeg(width: u32, height: u32) -> TestResult<Vec<u8>> {
    jpeg_of(&photo_like(width, height))
}

fn png(width: u32, height: u32) -> TestResult<Vec<u8>> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(photo_like(width, height)).write_with_encoder(PngEncoder::new(&mut out))?;
    Ok(out)
}

/// Opaque in the middle, transparent at the corners.
fn transparent_png(width: u32, height: u32) -> TestResult<Vec<u8>> {
    let image = RgbaImage::from_fn(width, height, |x, y| {
        let corner = (x < width / 4 || x >= width * 3 / 4) && (y < height / 4 || y >= height * 3 / 4);
        Rgba([200, 30, 30, if corner { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(image).write_with_encoder(PngEncoder::new(&mut out))?;
    Ok(out)
}

fn webp(width: u32, height: u32) -> TestResult<Vec<u8>> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(photo_like(width, height))
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))?;
    Ok(out)
}

fn gif(width: u32, height: u32) -> TestResult<Vec<u8>> {
    let mut out = Vec::new();
    let image = DynamicImage::ImageRgb8(photo_like(width, height)).into_rgba8();
    GifEncoder::new(&mut out).encode(image.as_raw(), width, height, image::ExtendedColorType::Rgba8)?;
    Ok(out)
}

/// Inserts a JPEG marker segment straight after SOI, where cameras put APP1.
fn with_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> TestResult<Vec<u8>> {
    let length = u16::try_from(payload.len() + 2)?.to_be_bytes();
    Ok([&jpeg[..2], &[0xFF, marker], &length, payload, &jpeg[2..]].concat())
}

/// A big-endian EXIF block whose first IFD holds `entries` (tag, type, count, value) and then,
/// when given, a GPS IFD holding a latitude reference.
fn exif_payload(entries: &[(u16, u16, u32, [u8; 4])], with_gps: bool) -> Vec<u8> {
    const IFD0_OFFSET: u32 = 8;
    let entry_count = entries.len() + usize::from(with_gps);
    let gps_offset = IFD0_OFFSET + 2 + 12 * entry_count as u32 + 4;
    let mut tiff = b"MM\x00\x2A".to_vec();
    tiff.extend(IFD0_OFFSET.to_be_bytes());
    tiff.extend((entry_count as u16).to_be_bytes());
    let push_entry = |tiff: &mut Vec<u8>, (tag, kind, count, value): (u16, u16, u32, [u8; 4])| {
        tiff.extend(tag.to_be_bytes());
        tiff.extend(kind.to_be_bytes());
        tiff.extend(count.to_be_bytes());
        tiff.extend(value);
    };
    for &entry in entries {
        push_entry(&mut tiff, entry);
    }
    if with_gps {
        push_entry(&mut tiff, (0x8825, 4, 1, gps_offset.to_be_bytes()));
    }
    tiff.extend(0u32.to_be_bytes());
    if with_gps {
        tiff.extend(1u16.to_be_bytes());
        push_entry(&mut tiff, (0x0001, 2, 2, *b"N\0\0\0"));
        tiff.extend(0u32.to_be_bytes());
    }
    [&b"Exif\0\0"[..], &tiff].concat()
}

fn orientation_entry(orientation: u16) -> (u16, u16, u32, [u8; 4]) {
    let [hi, lo] = orientation.to_be_bytes();
    (0x0112, 3, 1, [hi, lo, 0, 0])
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> TestResult<Vec<u8>> {
    let length = u32::try_from(data.len())?.to_be_bytes();
    let crc = crc32(&[&kind[..], data].concat()).to_be_bytes();
    Ok([&length[..], kind, data, &crc].concat())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid PNG whose header claims `width` x `height` but whose pixel data is a few bytes: what
/// a decompression bomb looks like before anyone decodes it.
fn png_declaring(width: u32, height: u32) -> TestResult<Vec<u8>> {
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    // An empty stored deflate block inside a zlib wrapper, with the Adler-32 of nothing.
    let idat = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01];
    Ok([
        &b"\x89PNG\r\n\x1a\n"[..],
        &png_chunk(b"IHDR", &ihdr)?,
        &png_chunk(b"IDAT", &idat)?,
        &png_chunk(b"IEND", &[])?,
    ]
    .concat())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// xorshift64*: deterministic, so a failing mutation can be reproduced.
struct Noise(u64);

impl Noise {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

// ---- accepting uploads ----

#[test]
fn a_jpeg_stays_a_jpeg() -> TestResult {
    let clean = clean_upload(&jpeg(64, 48)?, &Limits::default())?;
    assert_eq!(clean.format, ImageFormat::Jpeg);
    assert_eq!((clean.width, clean.height), (64, 48));
    assert_eq!(
        image::load_from_memory_with_format(&clean.bytes, image::ImageFormat::Jpeg)?.width(),
        64
    );
    Ok(())
}

#[test]
fn png_webp_and_gif_become_png() -> TestResult {
    for upload in [png(64, 48)?, webp(64, 48)?, gif(64, 48)?] {
        let clean = clean_upload(&upload, &Limits::default())?;
        assert_eq!(clean.format, ImageFormat::Png);
        assert_eq!((clean.width, clean.height), (64, 48));
        assert_eq!(image::guess_format(&clean.bytes)?, image::ImageFormat::Png);
    }
    Ok(())
}

#[test]
fn files_that_are_not_images_are_refused_by_their_bytes() {
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#.to_vec();
    let text_named_jpg = b"holiday.jpg: just some notes, not a photo".to_vec();
    for bytes in [Vec::new(), pdf, svg, text_named_jpg, vec![0xFF, 0xD8]] {
        let error = clean_upload(&bytes, &Limits::default());
        assert!(matches!(error, Err(ImageError::NotAnImage)), "{error:?}");
    }
    assert_eq!(
        ImageError::NotAnImage.to_string(),
        "This file is not a JPEG, PNG, WebP or GIF image."
    );
}

// ---- limits ----

#[test]
fn a_decompression_bomb_is_refused_from_its_header() -> TestResult {
    let bomb = png_declaring(50_000, 50_000)?;
    assert!(bomb.len() < 100);
    let started = Instant::now();
    let error = clean_upload(&bomb, &Limits::default());
    assert!(started.elapsed() < Duration::from_secs(1));
    let Err(
        error @ ImageError::TooLarge {
            width: 50_000,
            height: 50_000,
            ..
        },
    ) = error
    else {
        return Err(format!("expected TooLarge, got {error:?}").into());
    };
    assert_eq!(
        error.to_string(),
        "The image is 50000x50000 pixels; the limit is 12000 pixels wide."
    );
    Ok(())
}

#[test]
fn the_allocation_cap_holds_even_when_the_dimension_limits_are_generous() -> TestResult {
    let generous = Limits {
        max_width: 100_000,
        max_height: 100_000,
        max_pixels: u64::MAX,
        max_alloc: 64 * 1024 * 1024,
    };
    let error = clean_upload(&png_declaring(50_000, 50_000)?, &generous);
    assert!(
        matches!(
            error,
            Err(ImageError::TooLarge {
                limit: SizeLimit::Memory(_),
                ..
            })
        ),
        "{error:?}"
    );
    Ok(())
}

#[test]
fn a_header_promising_more_pixels_than_the_data_holds_is_damaged() -> TestResult {
    let error = clean_upload(&png_declaring(400, 300)?, &Limits::default());
    assert!(matches!(error, Err(ImageError::Damaged)), "{error:?}");
    Ok(())
}

#[test]
fn limits_apply_to_every_format() -> TestResult {
    let small = Limits {
        max_width: 20,
        ..Limits::default()
    };
    for upload in [jpeg(32, 24)?, png(32, 24)?, webp(32, 24)?, gif(32, 24)?] {
        let error = clean_upload(&upload, &small);
        assert!(
            matches!(
                error,
                Err(ImageError::TooLarge {
                    width: 32,
                    height: 24,
                    ..
                })
            ),
            "{error:?}"
        );
    }
    let few_pixels = Limits {
        max_pixels: 32 * 24 - 1,
        ..Limits::default()
    };
    let error = clean_upload(&jpeg(32, 24)?, &few_pixels);
    assert!(
        matches!(
            error,
            Err(ImageError::TooLarge {
                limit: SizeLimit::Pixels(767),
                ..
            })
        ),
        "{error:?}"
    );
    Ok(())
}

// ---- damaged files ----

#[test]
fn truncated_files_are_damaged() -> TestResult {
    let jpeg = jpeg(64, 48)?;
    let png = png(64, 48)?;
    let webp = webp(64, 48)?;
    let gif = gif(64, 48)?;
    let cut = [
        &jpeg[..jpeg.len() / 2],
        &jpeg[..jpeg.len() - 2],
        &png[..png.len() / 2],
        &png[..png.len() - 1],
        &webp[..webp.len() / 2],
        &gif[..gif.len() / 2],
    ];
    for (index, bytes) in cut.into_iter().enumerate() {
        let error = clean_upload(bytes, &Limits::default());
        assert!(matches!(error, Err(ImageError::Damaged)), "#{index}: {error:?}");
        let error = make_renditions(bytes, &Limits::default());
        assert!(matches!(error, Err(ImageError::Damaged)), "#{index}: {error:?}");
    }
    assert_eq!(
        ImageError::Damaged.to_string(),
        "The image file is damaged or incomplete."
    );
    Ok(())
}

#[test]
fn the_jpeg_decoder_alone_would_accept_a_truncated_jpeg() -> TestResult {
    // Why integrity.rs exists: without it, this half file decodes into a half-grey picture.
    let jpeg = jpeg(64, 48)?;
    let half = &jpeg[..jpeg.len() / 2];
    let tolerated = image::load_from_memory_with_format(half, image::ImageFormat::Jpeg).is_ok();
    let checked = clean_upload(half, &Limits::default());
    assert!(matches!(checked, Err(ImageError::Damaged)));
    if !tolerated {
        eprintln!("zune-jpeg now rejects truncated files itself; the EOI check is belt and braces");
    }
    Ok(())
}

#[test]
fn random_damage_never_panics() -> TestResult {
    let originals = [
        jpeg(32, 24)?,
        with_segment(&jpeg(32, 24)?, 0xE1, &exif_payload(&[orientation_entry(6)], true))?,
        png(32, 24)?,
        transparent_png(32, 24)?,
        webp(32, 24)?,
        gif(32, 24)?,
    ];
    let mut noise = Noise::new(0x5EED);
    let mut accepted = 0;
    for original in &originals {
        for _ in 0..60 {
            let mutated = mutate(original, &mut noise);
            if let Ok(clean) = clean_upload(&mutated, &Limits::default()) {
                accepted += 1;
                make_renditions(&clean.bytes, &Limits::default())?;
            }
            let _ = make_renditions(&mutated, &Limits::default());
        }
    }
    assert_eq!(DECODER_PANICS.load(Ordering::Relaxed), 0, "a decoder panicked");
    // Some damage (a flipped bit in pixel data) is undetectable, so some files must pass.
    assert!(accepted > 0);
    Ok(())
}

fn mutate(original: &[u8], noise: &mut Noise) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match noise.below(4) {
        0 => {
            for _ in 0..=noise.below(4) {
                let at = noise.below(bytes.len());
                bytes[at] ^= 1 << noise.below(8);
            }
        }
        1 => bytes.truncate(noise.below(bytes.len())),
        2 => {
            let at = noise.below(bytes.len());
            let end = (at + 1 + noise.below(8)).min(bytes.len());
            for byte in &mut bytes[at..end] {
                *byte = noise.next() as u8;
            }
        }
        _ => {
            // Header fields are where sizes live: damage the first bytes harder.
            let at = noise.below(bytes.len().min(64));
            bytes[at] = [0x00, 0xFF, 0x7F, 0x80][noise.below(4)];
        }
    }
    bytes
}

// ---- orientation and metadata ----

/// Left half red, right half blue, so a rotation shows where the halves went.
fn half_red_half_blue(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    })
}

#[test]
fn exif_orientation_is_applied_and_then_dropped() -> TestResult {
    let upright = jpeg_of(&half_red_half_blue(40, 20))?;
    let rotated = with_segment(&upright, 0xE1, &exif_payload(&[orientation_entry(6)], false))?;
    let clean = clean_upload(&rotated, &Limits::default())?;
    assert_eq!((clean.width, clean.height), (20, 40));
    assert!(!contains(&clean.bytes, b"Exif"));
    // Turned 90 degrees clockwise, the left (red) half is now on top.
    let pixels = image::load_from_memory(&clean.bytes)?.into_rgb8();
    assert_eq!(pixels.dimensions(), (20, 40));
    assert!(
        pixels.get_pixel(10, 5).0[0] > 150,
        "{:?}",
        pixels.get_pixel(10, 5)
    );
    assert!(
        pixels.get_pixel(10, 35).0[2] > 150,
        "{:?}",
        pixels.get_pixel(10, 35)
    );
    Ok(())
}

#[test]
fn renditions_follow_the_orientation_too() -> TestResult {
    let rotated = with_segment(
        &jpeg(40, 20)?,
        0xE1,
        &exif_payload(&[orientation_entry(6)], false),
    )?;
    let renditions = make_renditions(&rotated, &Limits::default())?;
    let display = find(&renditions, RenditionKind::Display, ImageFormat::Jpeg)?;
    assert_eq!((display.width, display.height), (20, 40));
    Ok(())
}

#[test]
fn gps_comments_and_text_chunks_are_stripped() -> TestResult {
    let secret = b"Secret Lane 12, shot with Bob";
    let tagged = with_segment(&jpeg(40, 30)?, 0xE1, &exif_payload(&[orientation_entry(1)], true))?;
    let tagged = with_segment(&tagged, 0xFE, secret)?;
    let xmp = [&b"http://ns.adobe.com/xap/1.0/\0"[..], secret].concat();
    let tagged = with_segment(&tagged, 0xE1, &xmp)?;
    let clean = clean_upload(&tagged, &Limits::default())?;
    assert!(!contains(&clean.bytes, b"Exif"));
    assert!(!contains(&clean.bytes, &[0xFF, 0xE1]));
    assert!(!contains(&clean.bytes, &[0xFF, 0xFE]));
    assert!(!contains(&clean.bytes, b"Secret"));

    let png = png(40, 30)?;
    let ihdr_end = 8 + 8 + 13 + 4;
    let text = png_chunk(b"tEXt", &[&b"Author\0"[..], secret].concat())?;
    let tagged = [&png[..ihdr_end], &text, &png[ihdr_end..]].concat();
    let clean = clean_upload(&tagged, &Limits::default())?;
    assert!(!contains(&clean.bytes, b"tEXt"));
    assert!(!contains(&clean.bytes, b"Secret"));
    Ok(())
}

// ---- renditions ----

fn find(renditions: &[Rendition], kind: RenditionKind, format: ImageFormat) -> TestResult<&Rendition> {
    renditions
        .iter()
        .find(|rendition| rendition.kind == kind && rendition.format == format && rendition.extra.is_none())
        .ok_or_else(|| format!("no {} {:?} rendition", kind.name(), format).into())
}

fn rendition_sizes(upload: &[u8]) -> TestResult<[(u32, u32); 2]> {
    let renditions = make_renditions(upload, &Limits::default())?;
    for kind in RenditionKind::ALL {
        let webp = find(&renditions, kind, ImageFormat::WebP)?;
        let jpeg = find(&renditions, kind, ImageFormat::Jpeg)?;
        assert_eq!((webp.width, webp.height), (jpeg.width, jpeg.height));
    }
    let thumb = find(&renditions, RenditionKind::Thumb, ImageFormat::Jpeg)?;
    let display = find(&renditions, RenditionKind::Display, ImageFormat::Jpeg)?;
    Ok([(thumb.width, thumb.height), (display.width, display.height)])
}

#[test]
fn a_landscape_photo_gets_a_square_thumb_and_a_1200_wide_display() -> TestResult {
    assert_eq!(rendition_sizes(&jpeg(1600, 1000)?)?, [(300, 300), (1200, 750)]);
    Ok(())
}

#[test]
fn a_narrow_portrait_keeps_its_size_for_display() -> TestResult {
    assert_eq!(rendition_sizes(&jpeg(900, 1600)?)?, [(300, 300), (900, 1600)]);
    Ok(())
}

#[test]
fn small_images_are_never_upscaled() -> TestResult {
    assert_eq!(rendition_sizes(&png(200, 120)?)?, [(120, 120), (200, 120)]);
    assert_eq!(rendition_sizes(&gif(32, 24)?)?, [(24, 24), (32, 24)]);
    Ok(())
}

#[test]
fn a_panorama_thumb_is_cut_from_the_full_image() -> TestResult {
    // Its display image is only 80 pixels high, too short for a 300 pixel thumb.
    assert_eq!(rendition_sizes(&jpeg(6000, 400)?)?, [(300, 300), (1200, 80)]);
    Ok(())
}

#[test]
fn renditions_really_are_lossy_webp_and_jpeg() -> TestResult {
    let renditions = make_renditions(&jpeg(1400, 1000)?, &Limits::default())?;
    for rendition in &renditions {
        let expected = match rendition.format {
            ImageFormat::WebP => image::ImageFormat::WebP,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            other => return Err(format!("unexpected rendition format {other:?}").into()),
        };
        let decoded = image::load_from_memory_with_format(&rendition.bytes, expected)?;
        assert_eq!(
            (decoded.width(), decoded.height()),
            (rendition.width, rendition.height)
        );
        if rendition.format == ImageFormat::WebP {
            assert!(contains(&rendition.bytes[..16], b"VP8 "), "not lossy WebP");
        }
    }
    Ok(())
}

#[test]
fn transparency_is_kept_in_webp_and_flattened_onto_white_in_jpeg() -> TestResult {
    let renditions = make_renditions(&transparent_png(64, 64)?, &Limits::default())?;
    let webp = find(&renditions, RenditionKind::Display, ImageFormat::WebP)?;
    let webp = image::load_from_memory(&webp.bytes)?;
    assert!(webp.color().has_alpha());
    assert!(webp.to_rgba8().get_pixel(0, 0).0[3] < 16);

    let jpeg = find(&renditions, RenditionKind::Display, ImageFormat::Jpeg)?;
    let jpeg = image::load_from_memory(&jpeg.bytes)?.into_rgb8();
    assert!(jpeg.get_pixel(0, 0).0.iter().all(|&channel| channel > 235));
    assert!(jpeg.get_pixel(32, 32).0[0] > 150 && jpeg.get_pixel(32, 32).0[1] < 80);
    Ok(())
}

#[test]
fn rendition_kinds_have_stable_names() {
    let names: Vec<_> = RenditionKind::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(names, ["thumb", "display"]);
}

/// (kind, extra width, actual width, actual height) of every JPEG, in a stable order.
fn extras(upload: &[u8]) -> TestResult<Vec<(&'static str, u32, u32, u32)>> {
    let renditions = make_renditions(upload, &Limits::default())?;
    let webps = renditions
        .iter()
        .filter(|r| r.format == ImageFormat::WebP)
        .count();
    assert_eq!(webps * 2, renditions.len(), "every rendition in both formats");
    let mut found: Vec<_> = renditions
        .iter()
        .filter(|r| r.format == ImageFormat::Jpeg)
        .filter_map(|r| Some((r.kind.name(), r.extra?, r.width, r.height)))
        .collect();
    found.sort_unstable();
    Ok(found)
}

#[test]
fn large_originals_get_every_extra_width() -> TestResult {
    assert_eq!(
        extras(&jpeg(2000, 1000)?)?,
        [
            ("display", 600, 600, 300),
            ("display", 1800, 1800, 900),
            ("thumb", 600, 600, 600)
        ]
    );
    Ok(())
}

#[test]
fn extra_widths_are_never_upscaled() -> TestResult {
    // 1000 wide: no 1800 display; 500 high: no 600 thumb.
    assert_eq!(extras(&jpeg(1000, 500)?)?, [("display", 600, 600, 300)]);
    assert_eq!(extras(&png(200, 120)?)?, []);
    Ok(())
}

#[test]
fn extra_names_round_trip_and_unknown_ones_are_skipped() {
    assert_eq!(RenditionKind::Display.object_name(Some(1800)), "display-1800");
    assert_eq!(RenditionKind::Thumb.object_name(None), "thumb");
    assert_eq!(
        super::renditions::parse_extras("thumb-600 display-1800 display-999 bogus-600 thumb"),
        [(RenditionKind::Thumb, 600), (RenditionKind::Display, 1800)]
    );
}
