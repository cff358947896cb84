//! Staff editing: signed in as a staff user (`LOADTEST_STAFF_EMAIL`, `LOADTEST_STAFF_PASSWORD`),
//! they browse the admin, open items to edit, add items as drafts, edit their own and publish
//! them (publishing queues the subscribers' notifications for the worker). The admin's item
//! form is `multipart/form-data` (it can carry an image): posted so, with an empty file input.

use std::sync::LazyLock;

use goose::prelude::*;
use rand::seq::IndexedRandom;
use regex::Regex;

use crate::browser::{
    Expect, Fallible, all_matches, csrf_token, custom, get, new_browser, post_form, post_multipart,
};
use crate::settings::{next_serial, settings};

#[derive(Clone, Debug, Default)]
struct Editor {
    /// Items anyone made, as the admin's list shows them.
    items: Vec<String>,
    /// Items this user added (only these are changed): id, title, category, published.
    own: Vec<OwnItem>,
}

#[derive(Clone, Debug)]
struct OwnItem {
    id: String,
    title: String,
    category: String,
    published: bool,
}

static ITEM_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"href="/admin/items/(\d+)/""#).expect("a valid regex"));
static CATEGORY_OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<option value="(\d+)""#).expect("a valid regex"));
static ITEM_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^/admin/items/(\d+)/$").expect("a valid regex"));

pub fn scenario(weight: usize) -> Result<Scenario, GooseError> {
    Ok(scenario!("StaffEditors")
        .set_weight(weight)?
        .set_wait_time(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_secs(5),
        )?
        .register_transaction(transaction!(start).set_name("admin: sign in").set_on_start())
        .register_transaction(transaction!(dashboard).set_name("admin: dashboard"))
        .register_transaction(transaction!(list_items).set_name("admin: items").set_weight(3)?)
        .register_transaction(
            transaction!(open_item)
                .set_name("admin: open item")
                .set_weight(3)?,
        )
        .register_transaction(
            transaction!(add_item)
                .set_name("admin: add draft")
                .set_weight(2)?,
        )
        .register_transaction(
            transaction!(edit_item)
                .set_name("admin: edit item")
                .set_weight(2)?,
        )
        .register_transaction(
            transaction!(publish_item)
                .set_name("admin: publish")
                .set_weight(2)?,
        ))
}

fn editor(user: &mut GooseUser) -> Fallible<&mut Editor> {
    user.get_session_data_mut::<Editor>()
        .ok_or_else(|| custom("the editor's state is missing"))
}

async fn start(user: &mut GooseUser) -> TransactionResult {
    let (email, password) = settings()
        .staff()
        .ok_or_else(|| custom("the staff scenario needs LOADTEST_STAFF_EMAIL and LOADTEST_STAFF_PASSWORD"))?;
    new_browser(user).await?;
    user.set_session_data(Editor::default());
    let form = get(
        user,
        "/signin/?next=/admin/",
        "admin: sign-in form",
        Expect::default(),
    )
    .await?;
    let token = csrf_token(&form)?;
    let fields = [("email", email), ("password", password), ("next", "/admin/")];
    post_form(
        user,
        "/signin/",
        "admin: sign in",
        &token,
        &fields,
        Expect::signed_in().lands_on("/admin/"),
    )
    .await?;
    Ok(())
}

async fn dashboard(user: &mut GooseUser) -> TransactionResult {
    get(
        user,
        "/admin/",
        "admin: dashboard",
        Expect::signed_in().lands_on("/admin/"),
    )
    .await?;
    Ok(())
}

async fn list_items(user: &mut GooseUser) -> TransactionResult {
    let page = get(
        user,
        "/admin/items/",
        "admin: items",
        Expect::signed_in().lands_on("/admin/items/"),
    )
    .await?;
    editor(user)?.items = all_matches(&ITEM_ID, &page.body);
    Ok(())
}

async fn open_item(user: &mut GooseUser) -> TransactionResult {
    let Some(id) = editor(user)?.items.choose(&mut rand::rng()).cloned() else {
        return list_items(user).await;
    };
    get(
        user,
        &format!("/admin/items/{id}/"),
        "admin: open item",
        Expect::signed_in().contains("name=\"title\""),
    )
    .await?;
    Ok(())
}

fn item_fields(title: &str, category: &str, status: &str) -> Vec<(&'static str, String)> {
    let n = next_serial();
    vec![
        ("title", title.to_owned()),
        ("slug", String::new()),
        ("category", category.to_owned()),
        ("summary", format!("Written by the load test, revision {n}")),
        (
            "body",
            format!(
                "A paragraph of *Markdown*, revision {n}.\n\n- one point\n- another point\n\nAnd a [link](/site/)."
            ),
        ),
        ("status", status.to_owned()),
        ("publish_at", String::new()),
        ("image_alt", String::new()),
    ]
}

/// Adds an item as a draft, in one of the categories the form offers.
async fn add_item(user: &mut GooseUser) -> TransactionResult {
    let form = get(user, "/admin/items/add/", "admin: add form", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    let Some(category) = all_matches(&CATEGORY_OPTION, &form.body)
        .choose(&mut rand::rng())
        .cloned()
    else {
        return Err(custom(
            "admin: no category to add an item to (seed the site first)",
        ));
    };
    let title = format!("Load test {} item {}", settings().run_id, next_serial());
    let fields = item_fields(&title, &category, "draft");
    let page = post_multipart(
        user,
        "/admin/items/add/",
        "admin: add draft",
        &token,
        &fields,
        Expect::signed_in().lands_on("/admin/items/"),
    )
    .await?;
    let id = ITEM_PATH
        .captures(&page.path)
        .map(|c| c[1].to_owned())
        .ok_or_else(|| {
            custom(format!(
                "admin: add draft ended on {}, not on the item",
                page.path
            ))
        })?;
    editor(user)?.own.push(OwnItem {
        id,
        title,
        category,
        published: false,
    });
    Ok(())
}

/// Saves one of this user's items with `status` (a new summary and body each time).
async fn save_own(user: &mut GooseUser, item: OwnItem, status: &str, name: &str) -> TransactionResult {
    let path = format!("/admin/items/{}/", item.id);
    let form = get(user, &path, "admin: open item", Expect::signed_in()).await?;
    let token = csrf_token(&form)?;
    let fields = item_fields(&item.title, &item.category, status);
    post_multipart(
        user,
        &path,
        name,
        &token,
        &fields,
        Expect::signed_in()
            .lands_on(&path)
            .contains(&format!("status-{status}")),
    )
    .await?;
    Ok(())
}

async fn edit_item(user: &mut GooseUser) -> TransactionResult {
    let Some(item) = editor(user)?.own.choose(&mut rand::rng()).cloned() else {
        return add_item(user).await;
    };
    let status = if item.published { "published" } else { "draft" };
    save_own(user, item, status, "admin: edit item").await
}

async fn publish_item(user: &mut GooseUser) -> TransactionResult {
    let Some(item) = editor(user)?.own.iter().find(|item| !item.published).cloned() else {
        return add_item(user).await;
    };
    save_own(user, item.clone(), "published", "admin: publish").await?;
    if let Some(own) = editor(user)?.own.iter_mut().find(|own| own.id == item.id) {
        own.published = true;
    }
    Ok(())
}
