//! Report photos: only JPEG and PNG are accepted (by their bytes, not their name), with
//! a size limit; the EXIF time and GPS position are read so the office can see when and
//! where a photo was taken. The file itself is kept unchanged, EXIF included.

use chrono::NaiveDateTime;
use gongjian_domain::DomainError;

/// What a photo file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    /// image/jpeg or image/png.
    pub mime: &'static str,
    /// EXIF DateTimeOriginal (else DateTime).
    pub taken: Option<NaiveDateTime>,
    /// EXIF GPS position (latitude, longitude) in degrees.
    pub gps: Option<(f64, f64)>,
}

/// Checks a photo's type and size and reads its EXIF facts.
pub fn inspect(name: &str, bytes: &[u8], max_bytes: usize) -> Result<Inspected, DomainError> {
    if bytes.len() > max_bytes {
        return Err(DomainError::new(
            "photos",
            format!(
                "照片“{name}”有 {:.1} MB，超过 {} MB 的上限，请压缩后再传。",
                bytes.len() as f64 / 1_048_576.0,
                max_bytes / 1_048_576
            ),
            format!(
                "Photo '{name}' is larger than {} MB; compress it first.",
                max_bytes / 1_048_576
            ),
        ));
    }
    let mime = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else {
        return Err(DomainError::new(
            "photos",
            format!("“{name}”不是 JPEG 或 PNG 图片，只能上传 JPEG、PNG 格式的照片。"),
            format!("'{name}' is not a JPEG or PNG image; only JPEG and PNG photos are accepted."),
        ));
    };
    let (taken, gps) =
        match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
            Ok(e) => (taken_of(&e), gps_of(&e)),
            Err(_) => (None, None),
        };
    Ok(Inspected { mime, taken, gps })
}

fn taken_of(e: &exif::Exif) -> Option<NaiveDateTime> {
    for tag in [exif::Tag::DateTimeOriginal, exif::Tag::DateTime] {
        if let Some(f) = e.get_field(tag, exif::In::PRIMARY)
            && let exif::Value::Ascii(v) = &f.value
            && let Some(first) = v.first()
            && let Ok(s) = std::str::from_utf8(first)
            && let Ok(t) =
                NaiveDateTime::parse_from_str(s.trim_end_matches('\0'), "%Y:%m:%d %H:%M:%S")
        {
            return Some(t);
        }
    }
    None
}

fn degrees(e: &exif::Exif, tag: exif::Tag, reference: exif::Tag, negative: u8) -> Option<f64> {
    let f = e.get_field(tag, exif::In::PRIMARY)?;
    let exif::Value::Rational(v) = &f.value else {
        return None;
    };
    if v.len() < 3 {
        return None;
    }
    let d = v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0;
    let sign = match e.get_field(reference, exif::In::PRIMARY).map(|r| &r.value) {
        Some(exif::Value::Ascii(a)) if a.first().and_then(|x| x.first()) == Some(&negative) => -1.0,
        _ => 1.0,
    };
    d.is_finite().then_some(d * sign)
}

fn gps_of(e: &exif::Exif) -> Option<(f64, f64)> {
    let lat = degrees(e, exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(e, exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, b'W')?;
    Some((lat, lon))
}

/// A small JPEG with EXIF time and GPS, for tests and the demo: an 8×8 grey image
/// (baseline JPEG) with an APP1 segment carrying DateTimeOriginal and GPS.
pub fn sample_jpeg(taken: &str, lat: f64, lon: f64) -> Vec<u8> {
    let mut w = exif::experimental::Writer::new();
    let dt = exif::Field {
        tag: exif::Tag::DateTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![taken.as_bytes().to_vec()]),
    };
    let dms = |x: f64| {
        let x = x.abs();
        let d = x.trunc();
        let m = ((x - d) * 60.0).trunc();
        let s = ((x - d) * 60.0 - m) * 60.0;
        exif::Value::Rational(vec![
            exif::Rational::from((d as u32, 1)),
            exif::Rational::from((m as u32, 1)),
            exif::Rational::from(((s * 1000.0).round() as u32, 1000)),
        ])
    };
    let fields = [
        dt,
        exif::Field {
            tag: exif::Tag::GPSLatitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![if lat < 0.0 {
                b"S".to_vec()
            } else {
                b"N".to_vec()
            }]),
        },
        exif::Field {
            tag: exif::Tag::GPSLatitude,
            ifd_num: exif::In::PRIMARY,
            value: dms(lat),
        },
        exif::Field {
            tag: exif::Tag::GPSLongitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![if lon < 0.0 {
                b"W".to_vec()
            } else {
                b"E".to_vec()
            }]),
        },
        exif::Field {
            tag: exif::Tag::GPSLongitude,
            ifd_num: exif::In::PRIMARY,
            value: dms(lon),
        },
    ];
    for f in &fields {
        w.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    w.write(&mut tiff, false).expect("EXIF writes to memory");
    let tiff = tiff.into_inner();
    let mut out = vec![0xFF, 0xD8];
    // APP1 "Exif\0\0" + TIFF.
    let len = (tiff.len() + 8) as u16;
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(TINY_JPEG_BODY);
    out
}

/// The rest of a valid 8×8 grey baseline JPEG after SOI: quantisation and Huffman
/// tables, frame and scan headers, one block of entropy-coded data, EOI.
const TINY_JPEG_BODY: &[u8] = &[
    0xFF, 0xDB, 0x00, 0x43, 0x00, 0x08, 0x06, 0x06, 0x07, 0x06, 0x05, 0x08, 0x07, 0x07, 0x07, 0x09,
    0x09, 0x08, 0x0A, 0x0C, 0x14, 0x0D, 0x0C, 0x0B, 0x0B, 0x0C, 0x19, 0x12, 0x13, 0x0F, 0x14, 0x1D,
    0x1A, 0x1F, 0x1E, 0x1D, 0x1A, 0x1C, 0x1C, 0x20, 0x24, 0x2E, 0x27, 0x20, 0x22, 0x2C, 0x23, 0x1C,
    0x1C, 0x28, 0x37, 0x29, 0x2C, 0x30, 0x31, 0x34, 0x34, 0x34, 0x1F, 0x27, 0x39, 0x3D, 0x38, 0x32,
    0x3C, 0x2E, 0x33, 0x34, 0x32, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01,
    0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x2A, 0x9F, 0xFF, 0xD9,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_time_and_position_are_read() {
        let jpg = sample_jpeg("2026:10:20 09:30:00", 38.4872, 106.2309);
        let i = inspect("现场.jpg", &jpg, 1 << 20).unwrap();
        assert_eq!(i.mime, "image/jpeg");
        assert_eq!(
            i.taken,
            NaiveDateTime::parse_from_str("2026-10-20 09:30:00", "%Y-%m-%d %H:%M:%S").ok()
        );
        let (lat, lon) = i.gps.unwrap();
        assert!(
            (lat - 38.4872).abs() < 1e-5 && (lon - 106.2309).abs() < 1e-5,
            "{lat} {lon}"
        );
    }

    #[test]
    fn other_files_and_big_files_are_refused() {
        let e = inspect("报告.pdf", b"%PDF-1.7", 1 << 20).unwrap_err();
        assert!(e.msg.zh.contains("JPEG"), "{}", e.msg.zh);
        let e = inspect("大.jpg", &vec![0xFF; 2 << 20], 1 << 20).unwrap_err();
        assert!(e.msg.zh.contains("上限"), "{}", e.msg.zh);
        // A PNG without EXIF is fine, with no facts.
        let i = inspect("a.png", b"\x89PNG\r\n\x1a\n....", 1 << 20).unwrap();
        assert_eq!((i.mime, i.taken, i.gps), ("image/png", None, None));
    }
}
