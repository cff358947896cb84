/// The image formats Folio accepts as uploads and writes as renditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
            Self::Gif => "gif",
        }
    }

    /// The format the bytes claim to be, judged by magic bytes alone: a file's name and the
    /// browser's Content-Type are chosen by the uploader and prove nothing.
    pub(crate) fn sniff(bytes: &[u8]) -> Option<Self> {
        const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(PNG_SIGNATURE) {
            Some(Self::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else {
            None
        }
    }

    pub(crate) fn to_image_crate(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::WebP => image::ImageFormat::WebP,
            Self::Gif => image::ImageFormat::Gif,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageFormat;

    #[test]
    fn sniffs_each_format_from_its_magic_bytes() {
        assert_eq!(
            ImageFormat::sniff(b"\xFF\xD8\xFF\xE0rest"),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            ImageFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageFormat::WebP)
        );
        assert_eq!(ImageFormat::sniff(b"GIF87a...."), Some(ImageFormat::Gif));
        assert_eq!(ImageFormat::sniff(b"GIF89a...."), Some(ImageFormat::Gif));
    }

    #[test]
    fn anything_else_is_not_sniffed() {
        for bytes in [
            &b""[..],
            b"\xFF\xD8",
            b"RIFF\0\0\0\0WAVEfmt ",
            b"RIFF\0\0\0\0WEB",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"%PDF-1.7",
            b"GIF88a",
            b"hello.jpg is really text",
        ] {
            assert_eq!(ImageFormat::sniff(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn content_types_and_extensions_agree() {
        assert_eq!(ImageFormat::Jpeg.content_type(), "image/jpeg");
        assert_eq!(ImageFormat::WebP.extension(), "webp");
        assert_eq!(ImageFormat::Png.extension(), "png");
        assert_eq!(ImageFormat::Gif.content_type(), "image/gif");
    }
}
