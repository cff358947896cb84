//! What the site's API (`categories`, `items`) shares: who may see drafts and change content
//! (staff, checked against the user's row on each such request, as the admin panel does),
//! image uploads, and images as JSON.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use folio_db::queries::audit_entries::Actor;
use folio_db::queries::users;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::http::{check_version, no_content};
use super::problem::{ApiError, ApiResult};
use crate::error::AppError;
use crate::features::admin::toolkit::delete::{Deletable, Deleted, delete_audited};
use crate::features::admin::toolkit::image_form::{self, Change, ImageResource, Saving};
use crate::features::media::Pictures;
use crate::forms::FieldErrors;
use crate::state::AppState;
use crate::uploads::{
    FILE_FIELD, MAX_UPLOAD_BODY_BYTES, Upload, declared_length, is_multipart, read_file, unreadable,
};

/// The caller, if the request named one (public reads work without).
pub struct MaybeCaller(pub Option<ApiUser>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ApiUser>().cloned()))
    }
}

impl MaybeCaller {
    pub fn is_anonymous(&self) -> bool {
        self.0.is_none()
    }

    /// Whether the caller is active staff now. A token's owner is cached for up to a minute,
    /// so a claim of staff status is confirmed against the user's row (one primary-key read,
    /// and only for callers who claim it).
    pub async fn is_staff(&self, state: &AppState) -> ApiResult<bool> {
        match &self.0 {
            Some(caller) if caller.is_staff => is_active_staff(state, caller.id).await,
            _ => Ok(false),
        }
    }
}

async fn is_active_staff(state: &AppState, user_id: i64) -> ApiResult<bool> {
    let row = users::find_by_id(&state.db, user_id).await?;
    Ok(row.is_some_and(|row| row.is_staff && row.is_active))
}

/// A caller who may change the site's content: active staff (checked now, not from a cache)
/// with a read and write token or a session.
pub struct ApiStaff {
    pub caller: ApiUser,
}

impl ApiStaff {
    /// Who the audit log names for the change.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.caller.id),
            email: self.caller.email.clone(),
        }
    }
}

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = ApiUser::from_request_parts(parts, state).await?;
        caller.require_write()?;
        if !is_active_staff(state, caller.id).await? {
            return Err(ApiError::StaffOnly);
        }
        Ok(Self { caller })
    }
}

/// The body of an image upload: `multipart/form-data` with the file in the part named `image`,
/// and no other part.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Only describes the body in the OpenAPI document.
pub struct ImageUploadForm {
    /// The image: JPEG, PNG, GIF or WebP, at most 16 MiB. It is checked and re-encoded as the
    /// admin panel does it.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// An uploaded image, read as the admin's forms read it (streamed, refused past 16 MiB).
pub struct ImageUpload(pub Upload);

impl<S: Send + Sync> FromRequest<S> for ImageUpload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            return Err(AppError::UnsupportedMediaType.into());
        }
        if declared_length(&req).is_some_and(|length| length > MAX_UPLOAD_BODY_BYTES) {
            return Err(AppError::ImageTooLarge.into());
        }
        let multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| ApiError::BadRequest("The multipart body could not be read.".into()))?;
        match image_part(multipart).await? {
            Some(bytes) if !bytes.is_empty() => Ok(Self(Upload { bytes })),
            _ => {
                let mut errors = FieldErrors::default();
                errors.add("image", "Send the image in a part named `image`.");
                Err(ApiError::Invalid(errors))
            }
        }
    }
}

/// The bytes of the part named `image`; any other part is refused, as the schema says.
async fn image_part(mut multipart: Multipart) -> ApiResult<Option<bytes::Bytes>> {
    let mut image = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some(FILE_FIELD) {
            return Err(ApiError::BadRequest(
                "The body has a part other than `image`; send the image alone.".into(),
            ));
        }
        image = Some(read_file(field).await?);
    }
    Ok(image)
}

/// An image as the API shows it: its largest rendition for the use (or the original until
/// the renditions exist), and its size.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Image {
    /// Where to fetch it (relative to the site, or on the media CDN).
    pub src: String,
    pub width: u32,
    pub height: u32,
    /// The description for people who can't see it.
    pub alt: String,
}

/// The image of `key` among `pictures`, with its description (`alt`, else `fallback`).
pub fn image(pictures: &Pictures, key: &Option<String>, alt: &str, fallback: &str) -> Option<Image> {
    pictures.get(key).map(|picture| Image {
        src: picture.src.clone(),
        width: picture.width,
        height: picture.height,
        alt: if alt.trim().is_empty() { fallback } else { alt }.to_owned(),
    })
}

/// A form's errors as the API names its fields (`category` is `category_id` in JSON).
pub fn renamed(errors: FieldErrors, renames: &[(&str, &'static str)]) -> FieldErrors {
    let mut named = FieldErrors::default();
    for (field, message) in errors.iter() {
        let field = renames
            .iter()
            .find(|(from, _)| from == field)
            .map_or(*field, |(_, to)| *to);
        named.add(field, message.clone());
    }
    named
}

/// Sets `field` to `value` when one was sent.
pub fn replace(field: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// What a save does with the image.
pub enum ImageEdit {
    Keep,
    Replace(Upload),
    Remove,
}

/// The admin form's validation of `form` (changing `current`, or new): its fields, or a 422
/// naming what was refused (`renames` maps the form's field names to the JSON's).
pub async fn validated<R: ImageResource>(
    state: &AppState,
    current: Option<&R::Row>,
    form: &R::Form,
    renames: &[(&str, &'static str)],
) -> ApiResult<R::Fields> {
    let mut errors = FieldErrors::default();
    match R::validate(state, current, form, &mut errors).await? {
        Some(fields) if errors.is_empty() => Ok(fields),
        _ => Err(ApiError::Invalid(renamed(errors, renames))),
    }
}

/// [`image_form::save`] for the API, of fields [`validated`] already.
pub async fn save_resource<R: ImageResource>(
    state: &AppState,
    staff: &ApiStaff,
    current: Option<&R::Row>,
    fields: R::Fields,
    image: ImageEdit,
    renames: &[(&str, &'static str)],
) -> ApiResult<R::Saved> {
    let mut errors = FieldErrors::default();
    let (upload, remove_image) = match image {
        ImageEdit::Keep => (None, false),
        ImageEdit::Replace(upload) => (Some(upload), false),
        ImageEdit::Remove => (None, true),
    };
    let change = Change {
        current,
        fields: Some(fields),
        upload,
        remove_image,
    };
    match image_form::save::<R>(state, &staff.actor(), change, &mut errors).await? {
        Saving::Saved(saved) => Ok(saved),
        Saving::Refused => Err(ApiError::Invalid(renamed(errors, renames))),
        Saving::Gone => Err(ApiError::not_found()),
    }
}

/// Deletes `row` as the admin panel does (its own delete, audit entry and cache clearing),
/// unless `If-Match` names another version than `shown`'s: 204, 404 when it went meanwhile,
/// 409 when it can't go (a category with items).
pub async fn delete_content<R: Deletable>(
    state: &AppState,
    staff: &ApiStaff,
    headers: &HeaderMap,
    row: &R::Row,
    shown: impl Serialize,
) -> ApiResult<Response> {
    check_version(headers, || shown)?;
    match delete_audited::<R>(state, &staff.actor(), row).await? {
        Deleted::Yes => Ok(no_content()),
        Deleted::Gone => Err(ApiError::not_found()),
        Deleted::Refused(why) => Err(ApiError::Conflict(why)),
    }
}
