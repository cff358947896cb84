use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use folio_db::queries::users::{self, CreateUserError};
use serde::Deserialize;

use folio_jobs::email::AccountExists;
use folio_jobs::jobs::SendEmail;
use folio_jobs::site_urls;

use crate::domain::Email;
use crate::error::{AppResult, within_limit};
use crate::forms::{CsrfForm, FieldErrors, new_password_pair};
use crate::layout::{PageContext, invalid, ok};
use crate::security::client::ClientIp;
use crate::security::password;
use crate::security::rate_limit::Verdict;
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

/// In privacy mode a sign-up with a taken address is answered as a new account; the address's
/// owner, who may simply have forgotten the account, is told by email where to sign in. As
/// often as reset links for the address at most (they share the per-address limit's numbers),
/// so the form can't be used to flood a mailbox; over it, nothing is sent and the page is the
/// same.
async fn tell_the_owner(ctx: &RequestContext, email: &Email) -> AppResult<()> {
    let limit = &ctx.state.settings.rate_limits.forgot_password_account;
    let subject = format!("sign-up {}", email.as_str());
    if ctx.state.limiter.hit(limit, &subject).await != Verdict::Allowed {
        return Ok(());
    }
    let base = &ctx.state.settings.base_url;
    let message = AccountExists {
        sign_in: &site_urls::absolute(base, "/signin/"),
        forgot_password: &site_urls::absolute(base, "/forgot-password/"),
    }
    .render(email.as_str())
    .map_err(|err| anyhow::anyhow!("email template: {err}"))?;
    folio_jobs::enqueue(&ctx.state.db, &SendEmail { email: message }).await?;
    Ok(())
}

/// Why an address that reads the same as an account's is refused, without naming that account.
const LOOKS_LIKE_ANOTHER: &str = "This address looks the same as the address of an account already signed up (some letters can't be told apart from others). If that account is yours, sign in; otherwise use another address.";

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
                tell_the_owner(&ctx, email).await?;
                return Ok(created(&ctx));
            }
            Err(CreateUserError::LooksLikeAnother) if ctx.state.settings.privacy_mode => {
                tracing::info!("sign-up for a look-alike of an account's email, answered as a new one");
                return Ok(created(&ctx));
            }
            Err(CreateUserError::EmailTaken) => {
                errors.add("email", "User with this email is already signed up")
            }
            Err(CreateUserError::LooksLikeAnother) => errors.add("email", LOOKS_LIKE_ANOTHER),
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
