use std::fmt;

/// Why an upload was refused or could not be processed. `Display` is a sentence a staff member
/// can act on, so the web layer shows it as it is.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("This file is not a JPEG, PNG, WebP or GIF image.")]
    NotAnImage,
    #[error("The image is {width}x{height} pixels; the limit is {limit}.")]
    TooLarge {
        width: u32,
        height: u32,
        /// Which of the [`Limits`](super::Limits) the image exceeds.
        limit: SizeLimit,
    },
    #[error("The image file is damaged or incomplete.")]
    Damaged,
    /// Valid but exotic (arithmetic-coded or 12-bit JPEG, for instance).
    #[error("The image uses a feature Folio cannot read; save it again as an ordinary JPEG or PNG.")]
    Unsupported,
    /// The upload was fine but writing a rendition failed: our fault, not the uploader's.
    #[error("The image could not be converted ({0}).")]
    Encoding(String),
}

/// The limit an oversized image ran into, with its value, for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    Width(u32),
    Height(u32),
    Pixels(u64),
    Memory(u64),
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Width(max) => write!(f, "{max} pixels wide"),
            Self::Height(max) => write!(f, "{max} pixels high"),
            Self::Pixels(max) => write!(f, "{} megapixels", max as f64 / 1_000_000.0),
            Self::Memory(max) => write!(f, "{} MiB of memory to decode it", max / (1024 * 1024)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ImageError, SizeLimit};

    #[test]
    fn too_large_names_the_dimensions_and_the_limit() {
        let error = ImageError::TooLarge {
            width: 50_000,
            height: 50_000,
            limit: SizeLimit::Width(12_000),
        };
        assert_eq!(
            error.to_string(),
            "The image is 50000x50000 pixels; the limit is 12000 pixels wide."
        );
        let error = ImageError::TooLarge {
            width: 9_000,
            height: 9_000,
            limit: SizeLimit::Pixels(64_000_000),
        };
        assert_eq!(
            error.to_string(),
            "The image is 9000x9000 pixels; the limit is 64 megapixels."
        );
    }
}
