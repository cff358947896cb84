//! `folio-loadtest seed --host URL`: what the readers and editors need on a fresh site, made
//! through the admin's forms as staff (`LOADTEST_STAFF_EMAIL`, `LOADTEST_STAFF_PASSWORD`):
//! categories, and published items with a picture each (a PNG made here, so the worker makes
//! its renditions as for an upload).

use std::time::Duration;

use regex::Regex;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

use crate::settings::settings;

pub const CATEGORIES: [(&str, &str); 4] = [
    ("Harbour", "Boats, nets and gulls"),
    ("Hills", "Walks above the town"),
    ("Kitchen", "Recipes from the market"),
    ("Workshop", "Things made by hand"),
];

pub struct SeedArgs {
    pub host: String,
    pub items_per_category: usize,
}

impl SeedArgs {
    /// `--host URL [--items N]` (the arguments after `seed`).
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut host = None;
        let mut items_per_category = 6;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--host" | "-H" => host = args.next().cloned(),
                "--items" => {
                    items_per_category = args
                        .next()
                        .and_then(|n| n.parse().ok())
                        .ok_or("--items needs a number")?;
                }
                other => {
                    return Err(format!(
                        "seed: unknown argument {other:?} (--host URL [--items N])"
                    ));
                }
            }
        }
        let host = host.ok_or("seed: --host URL is required")?;
        Ok(Self {
            host: host.trim_end_matches('/').to_owned(),
            items_per_category,
        })
    }
}

struct Staff {
    client: Client,
    host: String,
    csrf: Regex,
}

impl Staff {
    async fn form(&self, path: &str) -> Result<String, String> {
        let url = format!("{}{path}", self.host);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {}", chain(&e)))?;
        // Sent elsewhere (the sign-in page, when the session is not staff's): not the form.
        if response.status() != StatusCode::OK
            || response.url().path() != path.split('?').next().unwrap_or(path)
        {
            return Err(format!(
                "GET {path}: {} at {}",
                response.status(),
                response.url().path()
            ));
        }
        let body = response.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        self.csrf
            .captures(&body)
            .map(|c| crate::browser::unescape(&c[1]))
            .ok_or_else(|| format!("GET {path}: no csrf_token on the page"))
    }

    /// POSTs the multipart form at `path` (the admin's forms take an image) and returns the
    /// path it redirected to.
    async fn post(
        &self,
        path: &str,
        fields: &[(&str, String)],
        image: Option<Vec<u8>>,
    ) -> Result<String, String> {
        let token = self.form(path).await?;
        let mut form = Form::new().text("csrf_token", token);
        for (name, value) in fields {
            form = form.text((*name).to_owned(), value.clone());
        }
        let part = match image {
            Some(png) => Part::bytes(png).file_name("picture.png").mime_str("image/png"),
            None => Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream"),
        }
        .map_err(|e| e.to_string())?;
        form = form.part("image", part);
        let response = self
            .client
            .post(format!("{}{path}", self.host))
            .header("Origin", &self.host)
            .header("Sec-Fetch-Site", "same-origin")
            .multipart(form)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {}", chain(&e)))?;
        let status = response.status();
        let landed = response.url().path().to_owned();
        if !status.is_success() || landed == path {
            let body = response.text().await.unwrap_or_default();
            let errors: Vec<&str> = body.lines().filter(|l| l.contains("field-error")).collect();
            return Err(format!("POST {path}: {status} at {landed} {errors:?}"));
        }
        Ok(landed)
    }
}

pub async fn run(args: SeedArgs) -> Result<(), String> {
    let s = settings();
    let (email, password) = s
        .staff()
        .ok_or("seed: needs LOADTEST_STAFF_EMAIL and LOADTEST_STAFF_PASSWORD")?;
    let mut builder = Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("folio-loadtest/", env!("CARGO_PKG_VERSION"), " (seed)"));
    if let Some(pem) = &s.ca_pem {
        builder = builder.tls_backend_preconfigured(crate::tls::client_config(pem)?);
    }
    let staff = Staff {
        client: builder.build().map_err(|e| e.to_string())?,
        host: args.host.clone(),
        csrf: Regex::new(r#"name="csrf_token" value="([^"]+)""#).map_err(|e| e.to_string())?,
    };

    let token = staff.form("/signin/").await?;
    let response = staff
        .client
        .post(format!("{}/signin/", args.host))
        .header("Origin", &args.host)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/admin/"),
        ])
        .send()
        .await
        .map_err(|e| format!("sign in: {}", chain(&e)))?;
    if !response.status().is_success() || !response.url().path().starts_with("/admin/") {
        return Err(format!(
            "seed: signing in as {email} ended with {} at {} (a staff account? see `folio admin create-user --staff`)",
            response.status(),
            response.url().path()
        ));
    }

    let category_id = Regex::new(r"^/admin/categories/(\d+)/$").map_err(|e| e.to_string())?;
    let mut made = 0;
    for (position, (name, summary)) in CATEGORIES.iter().enumerate() {
        let fields = [
            ("name", (*name).to_owned()),
            ("slug", String::new()),
            ("summary", (*summary).to_owned()),
            ("position", (position + 1).to_string()),
        ];
        let landed = staff.post("/admin/categories/add/", &fields, None).await?;
        let category = category_id
            .captures(&landed)
            .map(|c| c[1].to_owned())
            .ok_or_else(|| format!("category {name}: ended on {landed}"))?;
        for n in 1..=args.items_per_category {
            let fields = [
                ("title", format!("{name} notes, part {n}")),
                ("slug", String::new()),
                ("category", category.clone()),
                ("summary", format!("{summary}: part {n}")),
                ("body", body(name, n)),
                ("status", "published".to_owned()),
                ("publish_at", String::new()),
                ("image_alt", format!("A picture for {name}, part {n}")),
            ];
            let seed = (position * 31 + n * 7) as u8;
            staff
                .post("/admin/items/add/", &fields, Some(png(960, 640, seed)))
                .await?;
            made += 1;
        }
        println!(
            "seed: category {name} ({category}) with {} items",
            args.items_per_category
        );
    }
    println!(
        "seed: {} categories, {made} published items with a picture each",
        CATEGORIES.len()
    );
    Ok(())
}

/// An error with its causes ("error sending request: ...: invalid peer certificate ...").
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn body(name: &str, n: usize) -> String {
    let mut text = format!("## {name}, part {n}\n\n");
    for p in 1..=6 {
        text.push_str(&format!(
            "Paragraph {p} of the *{name}* series. It goes on for a while, with a [link](/site/) \
             and some **bold** words, so the page is about the size of a real one.\n\n"
        ));
    }
    text
}

/// An RGB gradient as a PNG: stored (uncompressed) deflate blocks, so nothing but the format
/// itself is needed to write one.
pub fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.push(((x * 255 / width) as u8).wrapping_add(seed));
            raw.push((y * 255 / height) as u8);
            raw.push((((x + y) * 127 / (width + height)) as u8).wrapping_add(seed.wrapping_mul(3)));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(chunk);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", ihdr.as_slice()),
        (b"IDAT", zlib.as_slice()),
        (b"IEND", &[][..]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn png_has_the_signature_and_its_chunks() {
        let png = png(300, 200, 1);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[12..16], b"IHDR");
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82])); // IEND's CRC
        assert!(png.len() > 300 * 200 * 3);
    }
}
