//! Site readers: anonymous visitors of the public site. They start on the home page, find the
//! categories and items by following the links the pages show, read items and load their
//! pictures (the WebP a browser picks from `<picture>`, else the `<img>`).

use std::sync::LazyLock;

use goose::prelude::*;
use rand::seq::IndexedRandom;
use regex::Regex;

use crate::browser::{Expect, Fallible, all_matches, custom, get, new_browser};

/// What one reader has seen so far.
#[derive(Clone, Debug, Default)]
struct Seen {
    categories: Vec<String>,
    items: Vec<String>,
    images: Vec<String>,
}

static CATEGORY_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"href="(/site/items/[^"/?#]+/)""#).expect("a valid regex"));
static ITEM_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"href="(/site/items/[^"/?#]+/[^"/?#]+/)""#).expect("a valid regex"));
/// The `srcset` of a `<source type="image/webp">` (what a browser that takes WebP loads from),
/// or an `<img src>`.
static WEBP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<source type="image/webp" srcset="([^"]+)""#).expect("a valid regex"));
static IMG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"<img src="([^"]+)""#).expect("a valid regex"));

pub fn scenario(weight: usize) -> Result<Scenario, GooseError> {
    Ok(scenario!("SiteReaders")
        .set_weight(weight)?
        .set_wait_time(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(4),
        )?
        .register_transaction(transaction!(start).set_name("site: arrive").set_on_start())
        .register_transaction(transaction!(home).set_name("site: home").set_weight(2)?)
        .register_transaction(transaction!(categories).set_name("site: categories"))
        .register_transaction(transaction!(category).set_name("site: category").set_weight(3)?)
        .register_transaction(transaction!(item).set_name("site: item").set_weight(5)?)
        .register_transaction(transaction!(image).set_name("site: image").set_weight(4)?)
        .register_transaction(transaction!(feed).set_name("site: feed")))
}

async fn start(user: &mut GooseUser) -> TransactionResult {
    new_browser(user).await?;
    user.set_session_data(Seen::default());
    home(user).await
}

fn seen(user: &mut GooseUser) -> Fallible<&mut Seen> {
    user.get_session_data_mut::<Seen>()
        .ok_or_else(|| custom("the reader's state is missing"))
}

/// Remembers the links of a page.
fn learn(user: &mut GooseUser, body: &str) -> Fallible<()> {
    let items = all_matches(&ITEM_LINK, body);
    let categories: Vec<String> = all_matches(&CATEGORY_LINK, body);
    // The widest candidate of each srcset: what a desktop browser picks for the item page's
    // 720 px column (the 600 w one is too narrow for it).
    let mut images: Vec<String> = all_matches(&WEBP, body)
        .iter()
        .filter_map(|srcset| widest(srcset))
        .collect();
    if images.is_empty() {
        images = all_matches(&IMG, body);
    }
    let seen = seen(user)?;
    for (known, new) in [
        (&mut seen.items, items),
        (&mut seen.categories, categories),
        (&mut seen.images, images),
    ] {
        for link in new {
            if !known.contains(&link) {
                // Keep the memory bounded: a reader that saw many forgets the oldest.
                if known.len() >= 200 {
                    known.remove(0);
                }
                known.push(link);
            }
        }
    }
    Ok(())
}

/// The URL of the widest candidate of a `srcset` ("URL 600w, URL 960w").
fn widest(srcset: &str) -> Option<String> {
    srcset
        .split(", ")
        .filter_map(|candidate| {
            let (url, width) = candidate.trim().rsplit_once(' ')?;
            let width: u32 = width.strip_suffix('w')?.parse().ok()?;
            Some((width, url))
        })
        .max_by_key(|(width, _)| *width)
        .map(|(_, url)| url.to_owned())
}

async fn home(user: &mut GooseUser) -> TransactionResult {
    let page = get(user, "/site/", "site: home", Expect::default()).await?;
    learn(user, &page.body)?;
    Ok(())
}

async fn categories(user: &mut GooseUser) -> TransactionResult {
    let page = get(user, "/site/items/", "site: categories", Expect::default()).await?;
    learn(user, &page.body)?;
    Ok(())
}

fn pick(list: &[String]) -> Option<String> {
    list.choose(&mut rand::rng()).cloned()
}

async fn category(user: &mut GooseUser) -> TransactionResult {
    let Some(path) = pick(&seen(user)?.categories) else {
        return categories(user).await;
    };
    let page = get(user, &path, "site: category", Expect::default()).await?;
    learn(user, &page.body)?;
    Ok(())
}

async fn item(user: &mut GooseUser) -> TransactionResult {
    let Some(path) = pick(&seen(user)?.items) else {
        return category(user).await;
    };
    let page = get(user, &path, "site: item", Expect::default()).await?;
    learn(user, &page.body)?;
    Ok(())
}

/// A picture the reader's pages showed: through the app (`/media/...`) or, with S3 storage,
/// a presigned URL of the bucket (as the stack serves them).
async fn image(user: &mut GooseUser) -> TransactionResult {
    let Some(url) = pick(&seen(user)?.images) else {
        return item(user).await;
    };
    get(user, &url, "site: image", Expect::default()).await?;
    Ok(())
}

async fn feed(user: &mut GooseUser) -> TransactionResult {
    get(
        user,
        "/site/feed.xml",
        "site: feed",
        Expect::default().contains("<feed"),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_candidate_is_picked() {
        assert_eq!(
            widest("http://s3/a-600.webp?x=1&y=2 600w, http://s3/a.webp?x=1 960w").as_deref(),
            Some("http://s3/a.webp?x=1")
        );
        assert_eq!(widest("nonsense"), None);
    }
}
