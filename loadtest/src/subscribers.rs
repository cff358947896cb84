//! Subscribers arriving: each visit is a new person (a new browser: a new cookie jar and, with
//! loopback sources, a new client address) who lands on the site's home page, opens the
//! subscribe page and sends the form with a new address.
//!
//! The app allows 5 subscription requests per client address per hour. With loopback sources
//! each person has an address of their own, as real visitors do, so a 429 is a failure. With
//! shared sources (a deployed host: every request leaves this machine from one address) all
//! but the first 5 are refused by design; those 429s count as expected (see `Expect::limited_ok`)
//! and are totalled at the end.

use goose::prelude::*;

use crate::browser::{Expect, csrf_token, get, new_browser, post_form};
use crate::settings::{SourceAddresses, next_serial, settings};

pub fn scenario(weight: usize) -> Result<Scenario, GooseError> {
    Ok(scenario!("Subscribers")
        .set_weight(weight)?
        .set_wait_time(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_secs(6),
        )?
        .register_transaction(transaction!(arrive_and_subscribe).set_name("subscribe: arrive and subscribe")))
}

async fn arrive_and_subscribe(user: &mut GooseUser) -> TransactionResult {
    new_browser(user).await?;
    let shared = settings().source_addresses(&user.base_url) == SourceAddresses::Shared;
    get(user, "/site/", "subscribe: home", Expect::default()).await?;
    let form = get(user, "/site/subscribe/", "subscribe: form", Expect::default()).await?;
    let token = csrf_token(&form)?;
    let email = format!(
        "reader-{}-{}@loadtest.example.org",
        settings().run_id,
        next_serial()
    );
    let expect = Expect {
        lands_on: Some("/site/subscribe/"),
        limited_ok: shared,
        ..Expect::default()
    };
    post_form(
        user,
        "/site/subscribe/",
        "subscribe: send",
        &token,
        &[("email", email.as_str())],
        expect,
    )
    .await?;
    Ok(())
}
