//! Uploaded images: sniffing, decoding under limits, orientation, and renditions.
//!
//! CONTRACT (owned by the images helper; the web layer and jobs code against exactly this):
//!
//! ```ignore
//! pub enum ImageFormat { Jpeg, Png, WebP, Gif }
//! impl ImageFormat { pub fn content_type(self) -> &'static str; pub fn extension(self) -> &'static str; }
//!
//! pub struct Limits { pub max_width: u32, pub max_height: u32, pub max_pixels: u64, pub max_alloc: u64 }
//! impl Default for Limits   // 12_000 x 12_000, 64 megapixels, 512 MiB
//!
//! /// What an upload becomes: re-encoded pixels with EXIF orientation applied and every
//! /// metadata chunk gone. JPEG stays JPEG (quality 90); PNG, WebP and GIF (first frame) become PNG.
//! pub struct CleanImage { pub bytes: Vec<u8>, pub format: ImageFormat, pub width: u32, pub height: u32 }
//!
//! /// CPU-bound: call from `spawn_blocking`. Sniffs the bytes (never the name or header),
//! /// reads the header and checks Limits before allocating, decodes fully (a truncated file fails).
//! pub fn clean_upload(bytes: &[u8], limits: &Limits) -> Result<CleanImage, ImageError>;
//!
//! pub enum RenditionKind { Thumb /* 300x300 centre crop */, Display /* 1200 wide, never upscaled */ }
//! impl RenditionKind { pub fn name(self) -> &'static str /* "thumb" | "display" */; pub const ALL: [RenditionKind; 2]; }
//! pub struct Rendition { pub kind: RenditionKind, pub format: ImageFormat /* WebP or Jpeg */, pub bytes: Vec<u8>, pub width: u32, pub height: u32 }
//!
//! /// CPU-bound: call from `spawn_blocking`. Four renditions: Thumb and Display, each WebP and JPEG.
//! pub fn make_renditions(clean: &[u8], limits: &Limits) -> Result<Vec<Rendition>, ImageError>;
//!
//! /// Each variant's Display is a sentence a staff member can act on ("This file is not a JPEG,
//! /// PNG, WebP or GIF image.", "The image is 50000x50000 pixels; the limit is ...", "The image
//! /// file is damaged or incomplete.").
//! pub enum ImageError { NotAnImage, TooLarge { width, height }, Damaged, .. }
//! ```
