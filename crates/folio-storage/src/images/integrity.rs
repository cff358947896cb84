//! Whether a file's container is whole. Decoders are forgiving: zune-jpeg fills a cut-off scan
//! with grey and succeeds, so a half-uploaded photo would become a half-grey one. Checking the
//! structure here turns that into a clear "damaged or incomplete" instead.

use super::ImageFormat;

pub(crate) fn is_complete(format: ImageFormat, bytes: &[u8]) -> bool {
    match format {
        ImageFormat::Jpeg => jpeg_has_end_of_image(bytes),
        ImageFormat::Png => png_reaches_end_chunk(bytes),
        ImageFormat::WebP => riff_holds_declared_size(bytes),
        // Only the first frame is used and the GIF decoder fails when that frame is cut short.
        ImageFormat::Gif => true,
    }
}

/// Scan data escapes every 0xFF as FF 00, so an FF D9 after the first scan starts can only be the
/// end-of-image marker. Searching rather than requiring it last keeps files with trailers (motion
/// photos append a video after EOI) acceptable.
fn jpeg_has_end_of_image(bytes: &[u8]) -> bool {
    jpeg_first_scan_offset(bytes)
        .is_some_and(|scan| bytes[scan..].windows(2).any(|pair| pair == [0xFF, 0xD9]))
}

/// Walks the marker segments after SOI up to the first start-of-scan, returning where its header
/// begins. None when the segments run past the end or are malformed.
fn jpeg_first_scan_offset(bytes: &[u8]) -> Option<usize> {
    const START_OF_SCAN: u8 = 0xDA;
    const END_OF_IMAGE: u8 = 0xD9;
    let mut pos = 2;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        // A marker may be preceded by any number of 0xFF fill bytes.
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *bytes.get(pos)?;
        pos += 1;
        match marker {
            START_OF_SCAN => return Some(pos),
            END_OF_IMAGE | 0x00 => return None,
            // TEM and the restart markers stand alone, without a length.
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let length = u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]);
                if length < 2 {
                    return None;
                }
                pos = pos.checked_add(usize::from(length))?;
            }
        }
    }
}

fn png_reaches_end_chunk(bytes: &[u8]) -> bool {
    const SIGNATURE_LEN: usize = 8;
    const LENGTH_AND_TYPE: usize = 8;
    const CRC_LEN: usize = 4;
    let mut pos = SIGNATURE_LEN;
    while let Some(header) = bytes.get(pos..pos + LENGTH_AND_TYPE) {
        let data_len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let Some(end) = usize::try_from(data_len)
            .ok()
            .and_then(|len| pos.checked_add(LENGTH_AND_TYPE + CRC_LEN)?.checked_add(len))
        else {
            return false;
        };
        if end > bytes.len() {
            return false;
        }
        if &header[4..8] == b"IEND" {
            return true;
        }
        pos = end;
    }
    false
}

fn riff_holds_declared_size(bytes: &[u8]) -> bool {
    const RIFF_HEADER_LEN: u64 = 8;
    let Some(size) = bytes.get(4..8) else {
        return false;
    };
    let declared = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
    u64::from(declared) + RIFF_HEADER_LEN <= bytes.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_needs_a_scan_and_its_end_marker() {
        let app0 = [0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        let sos = [0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34];
        let whole = [&[0xFF, 0xD8][..], &app0, &sos, &[0xFF, 0xD9]].concat();
        assert!(jpeg_has_end_of_image(&whole));
        let with_trailer = [&whole[..], b"ftypmp42 trailing video"].concat();
        assert!(jpeg_has_end_of_image(&with_trailer));
        assert!(!jpeg_has_end_of_image(&whole[..whole.len() - 1]));
        assert!(!jpeg_has_end_of_image(&whole[..5]));
    }

    #[test]
    fn an_end_marker_inside_a_header_segment_does_not_count() {
        // An EXIF thumbnail carries its own FF D9 before the main image's scan.
        let app1 = [0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9];
        let sos = [0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34];
        let cut = [&[0xFF, 0xD8][..], &app1, &sos].concat();
        assert!(!jpeg_has_end_of_image(&cut));
    }

    #[test]
    fn png_needs_its_end_chunk() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let len = u32::try_from(data.len()).unwrap_or(0).to_be_bytes();
            [&len[..], kind, data, &[0, 0, 0, 0]].concat()
        };
        let whole = [
            &b"\x89PNG\r\n\x1a\n"[..],
            &chunk(b"IHDR", &[0; 13]),
            &chunk(b"IDAT", &[1, 2, 3]),
            &chunk(b"IEND", &[]),
        ]
        .concat();
        assert!(png_reaches_end_chunk(&whole));
        assert!(!png_reaches_end_chunk(&whole[..whole.len() - 1]));
        assert!(!png_reaches_end_chunk(&whole[..40]));
    }

    #[test]
    fn webp_must_be_as_long_as_its_riff_header_says() {
        let whole = [&b"RIFF"[..], &8u32.to_le_bytes(), b"WEBPabcd"].concat();
        assert!(riff_holds_declared_size(&whole));
        assert!(!riff_holds_declared_size(&whole[..15]));
    }
}
