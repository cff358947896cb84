//! Forms that may carry an image (`multipart/form-data`), read with the same CSRF check as
//! [`CsrfForm`]. The file is streamed into memory chunk by chunk and refused with 413 as soon
//! as it passes [`MAX_IMAGE_BYTES`], so an endless body never fills the memory.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::forms::CsrfForm;
use crate::session::RequestContext;
use crate::state::AppState;

/// The largest image accepted (a 12-megapixel camera JPEG is 3–8 MB).
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;

/// The largest body of a form with a file: the image plus room for the text fields.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_IMAGE_BYTES + 1024 * 1024;

/// The name of the file input in Folio's forms.
pub const FILE_FIELD: &str = "image";

/// A file as uploaded: only its bytes. The client's file name is never used (storage keys are
/// random) and its content type is never trusted (the bytes are sniffed).
#[derive(Clone, Debug)]
pub struct Upload {
    pub bytes: Bytes,
}

/// A CSRF-checked form, url-encoded or multipart; `file` is the chosen file, if any.
pub struct CsrfUploadForm<T> {
    pub ctx: RequestContext,
    pub data: T,
    pub file: Option<Upload>,
}

impl<S, T> FromRequest<S> for CsrfUploadForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            // A form sent without a file (or by a client that never sends one).
            let CsrfForm { ctx, data } = CsrfForm::from_request(req, state).await?;
            return Ok(Self {
                ctx,
                data,
                file: None,
            });
        }
        if declared_length(&req).is_some_and(|length| length > MAX_UPLOAD_BODY_BYTES) {
            return Err(AppError::ImageTooLarge);
        }
        let (mut parts, body) = req.into_parts();
        let ctx = RequestContext::from_request_parts(&mut parts, state).await?;
        let multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| AppError::BadRequest("The form could not be read."))?;
        let (fields, file) = read_parts(multipart).await?;
        let token = fields
            .iter()
            .find(|(name, _)| name == "csrf_token")
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        ctx.verify_csrf(token).await?;
        // The text fields go through the same deserialiser as url-encoded forms, so both
        // encodings of one form mean exactly the same.
        let encoded = serde_urlencoded::to_string(&fields)
            .map_err(|_| AppError::BadRequest("The form could not be read."))?;
        let data = serde_urlencoded::from_str(&encoded)
            .map_err(|_| AppError::BadRequest("The form could not be read."))?;
        Ok(Self { ctx, data, file })
    }
}

pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"))
}

pub fn declared_length(req: &Request) -> Option<usize> {
    req.headers().get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// The text fields in order, and the file of [`FILE_FIELD`] when one was chosen (browsers send
/// an empty part with an empty file name when none was).
pub async fn read_parts(
    mut multipart: Multipart,
) -> Result<(Vec<(String, String)>, Option<Upload>), AppError> {
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == FILE_FIELD {
            let chosen = field.file_name().is_some_and(|name| !name.is_empty());
            let bytes = read_file(field).await?;
            if chosen || !bytes.is_empty() {
                file = Some(Upload { bytes });
            }
        } else if field.file_name().is_some() {
            // A file under another name: drained, never stored.
            read_file(field).await?;
        } else {
            fields.push((name, field.text().await.map_err(unreadable)?));
        }
    }
    Ok((fields, file))
}

pub async fn read_file(mut field: Field<'_>) -> Result<Bytes, AppError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(AppError::ImageTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

pub fn unreadable(err: MultipartError) -> AppError {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::ImageTooLarge
    } else {
        AppError::BadRequest("The form could not be read.")
    }
}
