//! The contact form: the message is stored and a job emails staff, in one transaction.
//! Each client may send a few messages per hour (`RateLimits::contact`, shared by every
//! instance with Redis).

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::contact_messages::{self, NewMessage};
use folio_jobs::jobs::ContactReceived;
use serde::Deserialize;

use crate::domain::{Email, Name};
use crate::error::{AppResult, within_limit};
use crate::forms::{CsrfForm, FieldErrors, REQUIRED};
use crate::layout::{PageContext, invalid, ok};
use crate::security::client::ClientIp;
use crate::session::RequestContext;

/// The longest message accepted, in characters.
pub const MAX_MESSAGE: usize = 2048;
const MAX_SUBJECT: usize = 200;
pub const THANKS: &str = "Thank you for your message.";

#[derive(Template)]
#[template(path = "features/site/templates/contact.html")]
struct ContactPage {
    page: PageContext,
    form: ContactForm,
    errors: FieldErrors,
    max_message: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
}

pub async fn show(ctx: RequestContext) -> AppResult<Response> {
    let mut form = ContactForm::default();
    if let Some(user) = &ctx.user {
        form.email = user.email.clone();
    }
    let page = ctx.page("Contact").await?;
    Ok(ok(&ContactPage {
        page,
        form,
        errors: FieldErrors::default(),
        max_message: MAX_MESSAGE,
    }))
}

fn text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    match trimmed.chars().count() {
        0 => Err(REQUIRED.to_owned()),
        n if n > max => Err(format!(
            "Ensure this value has at most {max} characters (it has {n})."
        )),
        _ => Ok(trimmed.to_owned()),
    }
}

pub async fn submit(
    ClientIp(client): ClientIp,
    CsrfForm { ctx, data: form }: CsrfForm<ContactForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let subject = errors.check("subject", text(&form.subject, MAX_SUBJECT));
    let message = errors.check("message", text(&form.message, MAX_MESSAGE));
    let (Some(name), Some(email), Some(subject), Some(message), true) =
        (name, email, subject, message, errors.is_empty())
    else {
        let page = ctx.page("Contact").await?;
        return Ok(invalid(&ContactPage {
            page,
            form,
            errors,
            max_message: MAX_MESSAGE,
        }));
    };
    let limit = &ctx.state.settings.rate_limits.contact;
    within_limit(ctx.state.limiter.hit_client(limit, client).await, FORMS_LIMITED)?;
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let new = NewMessage {
        name: name.as_str(),
        email: email.as_str(),
        subject: &subject,
        message: &message,
    };
    let stored = contact_messages::insert(&txn, &new).await?;
    folio_jobs::enqueue(
        &txn,
        &ContactReceived {
            message_id: stored.id,
        },
    )
    .await?;
    txn.commit().await?;
    ctx.flash(THANKS);
    Ok(Redirect::to("/site/contact/").into_response())
}

/// What a client over the contact or subscription limit is told.
pub(super) const FORMS_LIMITED: &str =
    "You have sent several forms in a short time. Please wait and try again later.";
