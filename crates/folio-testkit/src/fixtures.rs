//! Image files for upload tests, made in code: valid images of each accepted format, and the
//! hostile ones (a decompression bomb, a truncated file, a non-image named like an image).

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

/// A colourful `width`×`height` picture (gradients, so resizing and cropping have something
/// to work on).
pub fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let red = (x * 255 / width.max(1)) as u8;
        let green = (y * 255 / height.max(1)) as u8;
        Rgb([red, green, 128])
    })
}

/// A camera-like JPEG (quality 90): gradients under per-pixel noise, so it compresses about as
/// badly as a real photo (a 4000×3000 one is a few megabytes).
pub fn photo_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        // xorshift64: deterministic, so every run benchmarks the same bytes.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 56) as u8 / 4
    };
    let base = picture(width, height);
    let noisy = RgbImage::from_fn(width, height, |x, y| {
        let Rgb([r, g, b]) = *base.get_pixel(x, y);
        Rgb([
            r.saturating_add(noise()),
            g.saturating_add(noise()),
            b.saturating_add(noise()),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&noisy)
        .unwrap();
    out.into_inner()
}

fn encode(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture(width, height).write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ImageFormat::Jpeg)
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ImageFormat::Png)
}

pub fn webp(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ImageFormat::WebP)
}

pub fn gif(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ImageFormat::Gif)
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` pixels: decoding it
/// naively would allocate width × height × 3 bytes.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &header);
    // An empty zlib stream: the pixels never come.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The first half of `bytes`.
pub fn truncated(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len() / 2].to_vec()
}

/// The width and height of an encoded image, and its format as sniffed.
pub fn dimensions(bytes: &[u8]) -> (ImageFormat, u32, u32) {
    let format = image::guess_format(bytes).unwrap();
    let decoded = image::load_from_memory(bytes).unwrap();
    (format, decoded.width(), decoded.height())
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_the_png_reference() {
        // The CRC of an IEND chunk is the same in every PNG.
        assert_eq!(super::crc32(b"IEND"), 0xAE42_6082);
    }
}
