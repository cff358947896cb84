use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::users::{self, CreateUserError};
use serde::Deserialize;

use crate::domain::Email;
use crate::error::{AppResult, within_limit};
use crate::forms::{CsrfForm, FieldErrors, new_password_pair};
use crate::layout::{PageContext, invalid, ok};
use crate::security::client::ClientIp;
use crate::security::password;
use crate::session::RequestContext;

#[derive(Template)]
#[template(path = "features/accounts/templates/signup.html")]
struct SignUpPage {
    page: PageContext,
    email: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat_password: String,
}

pub async fn show(ctx: RequestContext) -> AppResult<Response> {
    let page = ctx.page("Sign up").await?;
    Ok(ok(&SignUpPage {
        page,
        email: String::new(),
        errors: FieldErrors::default(),
    }))
}

fn created(ctx: &RequestContext) -> Response {
    ctx.flash("Account is created. Now you can sign in.");
    Redirect::to("/signin/").into_response()
}

pub async fn submit(
    ClientIp(client): ClientIp,
    CsrfForm { ctx, data: form }: CsrfForm<SignUpForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let password = new_password_pair(
        &mut errors,
        ("password", &form.password),
        ("repeat_password", &form.repeat_password),
    );
    if let (Some(email), Some(password), true) = (&email, password, errors.is_empty()) {
        let limit = &ctx.state.settings.rate_limits.sign_up;
        within_limit(
            ctx.state.limiter.hit_client(limit, client).await,
            "Several accounts were created from your network in a short time. Please try again later.",
        )?;
        let hash = password::hash(password.into_inner()).await?;
        match users::create(&ctx.state.db, email.as_str(), &hash, false).await {
            Ok(_) => return Ok(created(&ctx)),
            // In privacy mode the answer tells nothing about which emails have accounts: the
            // same as a new account's (the password was hashed either way, so it takes as
            // long), and nothing is changed.
            Err(CreateUserError::EmailTaken) if ctx.state.settings.privacy_mode => {
                tracing::info!("sign-up for an existing account's email, answered as a new one");
                return Ok(created(&ctx));
            }
            Err(CreateUserError::EmailTaken) => {
                errors.add("email", "User with this email is already signed up")
            }
            Err(CreateUserError::Db(err)) => return Err(err.into()),
        }
    }
    let page = ctx.page("Sign up").await?;
    Ok(invalid(&SignUpPage {
        page,
        email: form.email,
        errors,
    }))
}
