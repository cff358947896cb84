//! People keeping notes: each signs up (or signs in to a pre-seeded account), makes a pad, then
//! creates, reads, edits, lists (in each sort order) and now and then deletes notes and pads,
//! every form posted as the browser does, with the page's CSRF token.

use std::sync::LazyLock;

use goose::prelude::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use regex::Regex;

use crate::browser::{Expect, Fallible, all_matches, csrf_token, custom, get, new_browser, post_form};
use crate::settings::{next_serial, settings};

#[derive(Clone, Debug, Default)]
struct Keeper {
    pads: Vec<String>,
    notes: Vec<String>,
}

static PAD_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"href="/pads/(\d+)/""#).expect("a valid regex"));
static NOTE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"href="/notes/(\d+)/""#).expect("a valid regex"));
static PAD_PATH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^/pads/(\d+)/$").expect("a valid regex"));

const ORDERS: [&str; 4] = ["name", "-name", "updated_at", "-updated_at"];

pub fn scenario(weight: usize) -> Result<Scenario, GooseError> {
    Ok(scenario!("NoteKeepers")
        .set_weight(weight)?
        .set_wait_time(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(3),
        )?
        .register_transaction(
            transaction!(start)
                .set_name("notes: sign up or in")
                .set_on_start(),
        )
        .register_transaction(transaction!(list_notes).set_name("notes: list").set_weight(4)?)
        .register_transaction(transaction!(view_pad).set_name("notes: view pad").set_weight(2)?)
        .register_transaction(
            transaction!(create_note)
                .set_name("notes: create note")
                .set_weight(3)?,
        )
        .register_transaction(
            transaction!(view_note)
                .set_name("notes: view note")
                .set_weight(4)?,
        )
        .register_transaction(
            transaction!(edit_note)
                .set_name("notes: edit note")
                .set_weight(2)?,
        )
        .register_transaction(transaction!(delete_note).set_name("notes: delete note"))
        .register_transaction(transaction!(create_pad).set_name("notes: create pad")))
}

fn keeper(user: &mut GooseUser) -> Fallible<&mut Keeper> {
    user.get_session_data_mut::<Keeper>()
        .ok_or_else(|| custom("the note keeper's state is missing"))
}

/// Remembers the pads and notes a page links to.
fn learn(user: &mut GooseUser, body: &str) -> Fallible<()> {
    let pads = all_matches(&PAD_ID, body);
    let notes = all_matches(&NOTE_ID, body);
    let keeper = keeper(user)?;
    keeper.pads = pads;
    for note in notes {
        if !keeper.notes.contains(&note) {
            keeper.notes.push(note);
        }
    }
    Ok(())
}

async fn start(user: &mut GooseUser) -> TransactionResult {
    new_browser(user).await?;
    user.set_session_data(Keeper::default());
    let s = settings();
    let (email, password) = match &s.accounts {
        Some(accounts) => {
            let n = user.weighted_users_index % accounts.count + 1;
            (
                accounts.pattern.replace("{}", &n.to_string()),
                accounts.password.clone(),
            )
        }
        None => {
            let email = format!("notes-{}-{}@loadtest.example.org", s.run_id, next_serial());
            let form = get(user, "/signup/", "notes: sign-up form", Expect::default()).await?;
            let token = csrf_token(&form)?;
            let password = s.signup_password.clone();
            let fields = [
                ("email", email.as_str()),
                ("password", password.as_str()),
                ("repeat_password", password.as_str()),
            ];
            // A new account is sent on to the sign-in page.
            post_form(
                user,
                "/signup/",
                "notes: sign up",
                &token,
                &fields,
                Expect::default().lands_on("/signin/"),
            )
            .await?;
            (email, password)
        }
    };
    let form = get(user, "/signin/", "notes: sign-in form", Expect::default()).await?;
    let token = csrf_token(&form)?;
    let fields = [
        ("email", email.as_str()),
        ("password", password.as_str()),
        ("next", ""),
    ];
    let home = post_form(
        user,
        "/signin/",
        "notes: sign in",
        &token,
        &fields,
        Expect::signed_in().contains("Sign out"),
    )
    .await?;
    learn(user, &home.body)?;
    if keeper(user)?.pads.is_empty() {
        create_pad(user).await?;
    }
    Ok(())
}

async fn list_notes(user: &mut GooseUser) -> TransactionResult {
    let order = ORDERS.choose(&mut rand::rng()).copied().unwrap_or("-updated_at");
    let page = get(
        user,
        &format!("/?order={order}"),
        "notes: list",
        Expect::signed_in(),
    )
    .await?;
    learn(user, &page.body)?;
    Ok(())
}

async fn view_pad(user: &mut GooseUser) -> TransactionResult {
    let Some(pad) = keeper(user)?.pads.choose(&mut rand::rng()).cloned() else {
        return create_pad(user).await;
    };
    let page = get(
        user,
        &format!("/pads/{pad}/"),
        "notes: view pad",
        Expect::signed_in(),
    )
    .await?;
    learn(user, &page.body)?;
    Ok(())
}

async fn create_pad(user: &mut GooseUser) -> TransactionResult {
    let form = get(user, "/pads/create/", "notes: pad form", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    let name = format!("Pad {}", next_serial());
    let page = post_form(
        user,
        "/pads/create/",
        "notes: create pad",
        &token,
        &[("name", name.as_str())],
        Expect::signed_in().lands_on("/pads/"),
    )
    .await?;
    learn(user, &page.body)?;
    if let Some(id) = PAD_PATH.captures(&page.path).map(|c| c[1].to_owned()) {
        let keeper = keeper(user)?;
        if !keeper.pads.contains(&id) {
            keeper.pads.push(id);
        }
    }
    Ok(())
}

fn note_text() -> String {
    let mut rng = rand::rng();
    let lines = rng.random_range(1..12);
    (0..lines)
        .map(|n| {
            format!(
                "Line {n}: {} things to remember, the {}th of them *important*.",
                rng.random_range(1..100),
                rng.random_range(1..50)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn create_note(user: &mut GooseUser) -> TransactionResult {
    let pad = keeper(user)?
        .pads
        .choose(&mut rand::rng())
        .cloned()
        .unwrap_or_default();
    let form_path = if pad.is_empty() {
        "/notes/create/".to_owned()
    } else {
        format!("/notes/create/?pad={pad}")
    };
    let form = get(user, &form_path, "notes: note form", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    let name = format!("Note {}", next_serial());
    let text = note_text();
    let fields = [
        ("name", name.as_str()),
        ("text", text.as_str()),
        ("pad", pad.as_str()),
    ];
    // Saved, the note's pad (or all notes) is shown, listing it.
    let page = post_form(
        user,
        "/notes/create/",
        "notes: create note",
        &token,
        &fields,
        Expect::signed_in().contains(&name),
    )
    .await?;
    learn(user, &page.body)?;
    Ok(())
}

async fn view_note(user: &mut GooseUser) -> TransactionResult {
    let Some(note) = keeper(user)?.notes.choose(&mut rand::rng()).cloned() else {
        return create_note(user).await;
    };
    get(
        user,
        &format!("/notes/{note}/"),
        "notes: view note",
        Expect::signed_in(),
    )
    .await?;
    Ok(())
}

async fn edit_note(user: &mut GooseUser) -> TransactionResult {
    let Some(note) = keeper(user)?.notes.choose(&mut rand::rng()).cloned() else {
        return create_note(user).await;
    };
    let path = format!("/notes/{note}/edit/");
    let form = get(user, &path, "notes: edit form", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    let pad = keeper(user)?
        .pads
        .choose(&mut rand::rng())
        .cloned()
        .unwrap_or_default();
    let name = format!("Note {} (edited)", next_serial());
    let text = note_text();
    let fields = [
        ("name", name.as_str()),
        ("text", text.as_str()),
        ("pad", pad.as_str()),
    ];
    post_form(
        user,
        &path,
        "notes: edit note",
        &token,
        &fields,
        Expect::signed_in().contains(&name),
    )
    .await?;
    Ok(())
}

async fn delete_note(user: &mut GooseUser) -> TransactionResult {
    // Keep a few: deleting only once there are some to spare.
    if keeper(user)?.notes.len() < 4 {
        return create_note(user).await;
    }
    let Some(note) = keeper(user)?.notes.choose(&mut rand::rng()).cloned() else {
        return Ok(());
    };
    let path = format!("/notes/{note}/delete/");
    let form = get(user, &path, "notes: delete form", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    keeper(user)?.notes.retain(|n| n != &note);
    post_form(
        user,
        &path,
        "notes: delete note",
        &token,
        &[],
        Expect::signed_in(),
    )
    .await?;
    Ok(())
}
