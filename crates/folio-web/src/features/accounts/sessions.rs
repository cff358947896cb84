//! Settings → Sessions: every browser signed in to the account, when each signed in, and a
//! button to end any of them, or all but this one. An account keeps at most
//! `FOLIO_QUOTA_SESSIONS` sessions; signing in once more ends the oldest
//! ([`crate::session::RequestContext::sign_in`]).

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tower_sessions::session::Record;

use crate::dates::{SmartDate, smart_date};
use crate::error::AppResult;
use crate::forms::{Confirm, CsrfForm};
use crate::layout::{PageContext, ok};
use crate::session::auth::SignedInDevice;
use crate::session::store::DEVICE_KEY;
use crate::session::{RequestContext, SignedIn};

#[derive(Template)]
#[template(path = "features/accounts/templates/sessions.html")]
struct SessionsPage {
    page: PageContext,
    sessions: Vec<SessionRow>,
}

/// One session as the list shows it. Its id is the session cookie's secret, so the page names
/// it by a digest instead.
struct SessionRow {
    handle: String,
    browser: String,
    signed_in: Option<SmartDate>,
    this_browser: bool,
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    session: String,
}

/// How the page names a session: enough of a digest of its id to tell an account's sessions
/// apart, nothing that could be used as the cookie.
fn handle(record: &Record) -> String {
    crate::security::tokens::digest(&record.id.to_string())[..16].to_owned()
}

fn row(record: &Record, current: Option<tower_sessions::session::Id>) -> SessionRow {
    let device = record
        .data
        .get(DEVICE_KEY)
        .and_then(|value| serde_json::from_value::<SignedInDevice>(value.clone()).ok());
    let agent = device.as_ref().and_then(|device| device.user_agent.as_deref());
    let signed_in = device
        .as_ref()
        .and_then(|device| DateTime::<Utc>::from_timestamp_millis(device.signed_in_at))
        .map(|at| smart_date(at, Utc::now()));
    SessionRow {
        handle: handle(record),
        browser: describe_browser(agent),
        signed_in,
        this_browser: Some(record.id) == current,
    }
}

/// "Firefox on Linux" from a `User-Agent`: the browser and system people recognise, checked
/// in the order that tells them apart (Edge and Opera say "Chrome" too, Chrome says "Safari").
pub fn describe_browser(agent: Option<&str>) -> String {
    let Some(agent) = agent else {
        return "Unknown browser".into();
    };
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 6] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.into(),
        // A script or an unusual browser: its own words, which the page escapes.
        (None, _) => agent.chars().take(60).collect(),
    }
}

async fn sessions_page(ctx: &RequestContext, user_id: i64) -> AppResult<SessionsPage> {
    let current = ctx.session.id();
    let sessions = ctx.state.sessions.list_for_user(user_id).await?;
    Ok(SessionsPage {
        page: ctx.page("Sessions").await?,
        sessions: sessions.iter().map(|record| row(record, current)).collect(),
    })
}

pub async fn show(SignedIn { ctx, user }: SignedIn) -> AppResult<Response> {
    Ok(ok(&sessions_page(&ctx, user.id).await?))
}

/// Ends one of the account's sessions, named by its handle. Ending this browser's own session
/// signs it out. A handle that names none of the account's sessions (ended already, or someone
/// else's) is a 404.
pub async fn end(
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, data }: CsrfForm<EndForm>,
) -> AppResult<Response> {
    let sessions = ctx.state.sessions.list_for_user(user.id).await?;
    let Some(record) = sessions.iter().find(|record| handle(record) == data.session) else {
        return Err(ctx.not_found().await);
    };
    if Some(record.id) == ctx.session.id() {
        ctx.sign_out().await?;
        return Ok(Redirect::to("/").into_response());
    }
    ctx.state.sessions.end(&record.id).await?;
    ctx.flash("That session is signed out.");
    Ok(Redirect::to("/settings/sessions/").into_response())
}

/// Ends every session of the account but this browser's.
pub async fn end_others(
    SignedIn { user, .. }: SignedIn,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let ended = ctx
        .state
        .sessions
        .end_sessions_of(user.id, ctx.session.id())
        .await?;
    let message = match ended {
        0 => "No other session was signed in.".to_owned(),
        1 => "Signed out 1 other session.".to_owned(),
        n => format!("Signed out {n} other sessions."),
    };
    ctx.flash(message);
    Ok(Redirect::to("/settings/sessions/").into_response())
}

#[cfg(test)]
mod tests {
    use super::describe_browser;

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl/8.5.0"),
        ];
        for (agent, expected) in cases {
            assert_eq!(describe_browser(Some(agent)), expected, "{agent}");
        }
        assert_eq!(describe_browser(None), "Unknown browser");
    }
}
