//! Times `clean_upload` + `make_renditions` on a generated 12-megapixel photo-like JPEG, with
//! the same number of worker threads the thumbnail job uses.
//!
//! cargo run --release -p folio-storage --example renditions_bench -- [workers] [images_each]
//! Run it under `/usr/bin/time -v` to see the peak RSS; set RENDITIONS_OUT to a directory to
//! look at the renditions.

use std::error::Error;
use std::time::Instant;

use folio_storage::images::{Limits, clean_upload, make_renditions};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let workers: usize = args.next().map_or(Ok(2), |arg| arg.parse())?;
    let images_each: usize = args.next().map_or(Ok(3), |arg| arg.parse())?;

    let upload = photo_like_jpeg()?;
    println!("upload: {WIDTH}x{HEIGHT} JPEG, {} KiB", upload.len() / 1024);
    report_one(&upload)?;
    if workers == 0 || images_each == 0 {
        return Ok(());
    }

    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| process_many(&upload, images_each)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().map_err(|_| "worker panicked")?)
    })?;
    let total = workers * images_each;
    let elapsed = started.elapsed();
    println!(
        "{total} images on {workers} workers: {:.2?} ({:.2?} per image per worker)",
        elapsed,
        elapsed * u32::try_from(workers)? / u32::try_from(total)?
    );
    Ok(())
}

fn report_one(upload: &[u8]) -> Result<(), Box<dyn Error>> {
    let limits = Limits::default();
    let started = Instant::now();
    let clean = clean_upload(upload, &limits)?;
    let cleaned = started.elapsed();
    let renditions = make_renditions(&clean.bytes, &limits)?;
    let rendered = started.elapsed() - cleaned;
    println!(
        "clean_upload: {cleaned:.2?} ({} KiB), make_renditions: {rendered:.2?}",
        clean.bytes.len() / 1024
    );
    let out_dir = std::env::var_os("RENDITIONS_OUT");
    for rendition in renditions {
        if let Some(dir) = &out_dir {
            let name = format!(
                "{}.{}",
                rendition.kind.object_name(rendition.extra),
                rendition.format.extension()
            );
            std::fs::write(std::path::Path::new(dir).join(name), &rendition.bytes)?;
        }
        println!(
            "  {:<12} {:<4} {}x{}: {} KiB",
            rendition.kind.object_name(rendition.extra),
            rendition.format.extension(),
            rendition.width,
            rendition.height,
            rendition.bytes.len() / 1024
        );
    }
    Ok(())
}

fn process_many(upload: &[u8], count: usize) -> Result<(), String> {
    let limits = Limits::default();
    for _ in 0..count {
        let clean = clean_upload(upload, &limits).map_err(|error| error.to_string())?;
        make_renditions(&clean.bytes, &limits).map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// Smooth gradients with circles and sensor-like noise: compresses roughly like a photograph.
fn photo_like_jpeg() -> Result<Vec<u8>, Box<dyn Error>> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let pixels = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 17) as i32 - 8;
        let (fx, fy) = (x as f32 / WIDTH as f32, y as f32 / HEIGHT as f32);
        let ripple = ((fx * 40.0).sin() * (fy * 30.0).cos() * 40.0) as i32;
        let channel = |base: f32| (base * 255.0) as i32 + ripple + noise;
        Rgb([
            clamp(channel(fx)),
            clamp(channel(fy)),
            clamp(channel(1.0 - fx * fy)),
        ])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92).write_image(
        pixels.as_raw(),
        WIDTH,
        HEIGHT,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn clamp(value: i32) -> u8 {
    value.clamp(0, 255) as u8
}
