use super::error::{ImageError, SizeLimit};

/// How big an image Folio agrees to decode. Checked against the header before any pixel buffer
/// is allocated, so a small file that declares huge dimensions costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    /// Upper bound on what a decoder may allocate at once, the decoded pixels included.
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 64_000_000,
            // The largest image allowed, decoded as 8-bit RGBA (64 M pixels x 4 bytes), and no
            // more: 512 MiB once let one hostile PNG take a process past a gigabyte.
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    pub(crate) fn check_dimensions(&self, width: u32, height: u32) -> Result<(), ImageError> {
        let exceeded = if width > self.max_width {
            Some(SizeLimit::Width(self.max_width))
        } else if height > self.max_height {
            Some(SizeLimit::Height(self.max_height))
        } else if u64::from(width) * u64::from(height) > self.max_pixels {
            Some(SizeLimit::Pixels(self.max_pixels))
        } else {
            None
        };
        match exceeded {
            Some(limit) => Err(ImageError::TooLarge { width, height, limit }),
            None => Ok(()),
        }
    }

    pub(crate) fn check_decoded_size(&self, width: u32, height: u32, bytes: u64) -> Result<(), ImageError> {
        if bytes > self.max_alloc {
            return Err(ImageError::TooLarge {
                width,
                height,
                limit: SizeLimit::Memory(self.max_alloc),
            });
        }
        Ok(())
    }

    /// The same bounds in the decoder's terms, so its own allocations are capped too.
    pub(crate) fn for_decoder(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;
    use crate::images::{ImageError, SizeLimit};

    #[test]
    fn each_limit_is_reported_by_name() {
        let limits = Limits {
            max_width: 100,
            max_height: 50,
            max_pixels: 2_000,
            max_alloc: 1 << 20,
        };
        assert!(limits.check_dimensions(100, 20).is_ok());
        assert!(matches!(
            limits.check_dimensions(101, 1),
            Err(ImageError::TooLarge {
                limit: SizeLimit::Width(100),
                ..
            })
        ));
        assert!(matches!(
            limits.check_dimensions(1, 51),
            Err(ImageError::TooLarge {
                limit: SizeLimit::Height(50),
                ..
            })
        ));
        assert!(matches!(
            limits.check_dimensions(100, 21),
            Err(ImageError::TooLarge {
                limit: SizeLimit::Pixels(2_000),
                ..
            })
        ));
    }
}
