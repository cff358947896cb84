//! The confirmation page of a delete or bulk action: what will change, and one button (or,
//! when the action can't go ahead, why not).

use axum::response::Response;

use super::super::{AdminNav, Staff};
use super::{admin_page, join_ids};
use crate::error::AppResult;
use crate::layout::PageContext;

#[derive(askama::Template)]
#[template(path = "features/admin/templates/confirm.html")]
pub struct ConfirmPage {
    pub page: PageContext,
    pub nav: AdminNav,
    pub heading: String,
    /// One line per object that will change.
    pub lines: Vec<String>,
    /// Shown instead of the button when the action can't go ahead (and nothing will change).
    pub refusal: Option<String>,
    /// What keeps the action from going ahead, as (label, link): the Django admin's
    /// "protected objects".
    pub blockers: Vec<(String, String)>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub button: &'static str,
    /// Whether the button destroys something (red); publishing is not.
    pub danger: bool,
    pub cancel: String,
}

/// What the confirmation of deleting one object says.
pub struct DeleteOne<'a> {
    /// The list the object belongs to (`/admin/items/`); its page is `<list><id>/`.
    pub list: &'static str,
    pub id: i64,
    /// The kind of object: the heading reads "Delete <noun>".
    pub noun: &'static str,
    /// The object's name in the breadcrumb, linking to its page; `None` for objects without a
    /// page of their own (cancelling then goes back to the list).
    pub crumb: Option<&'a str>,
    pub line: String,
    /// Why the object can't be deleted, if it can't: shown instead of the button (and of
    /// `line`).
    pub refusal: Option<String>,
    /// The objects that keep it from being deleted, as (label, link).
    pub blockers: Vec<(String, String)>,
}

/// What the confirmation of a bulk action on a list's selected objects says.
pub struct Bulk {
    /// The list; the form posts to `<list>bulk/` and cancelling goes back to it.
    pub list: &'static str,
    pub heading: String,
    /// The breadcrumb after the list's.
    pub crumb: &'static str,
    /// The action's name, as the form sends it.
    pub action: &'static str,
    pub ids: Vec<i64>,
    pub lines: Vec<String>,
    pub refusal: Option<String>,
    pub button: &'static str,
    pub danger: bool,
}

impl ConfirmPage {
    /// The page that asks before one object is deleted; the button posts to `<object>/delete/`.
    pub async fn delete_one(staff: &Staff, delete: DeleteOne<'_>) -> AppResult<Response> {
        let object = format!("{}{}/", delete.list, delete.id);
        let heading = format!("Delete {}", delete.noun);
        let crumbs: Vec<(&str, &str)> = match delete.crumb {
            Some(name) => vec![(name, object.as_str()), ("Delete", "")],
            None => vec![("Delete", "")],
        };
        let cancel = match delete.crumb {
            Some(_) => object.clone(),
            None => delete.list.to_owned(),
        };
        Ok(crate::layout::ok(&ConfirmPage {
            page: admin_page(&staff.ctx, heading.clone()).await?,
            nav: AdminNav::new(delete.list, &crumbs),
            heading,
            lines: if delete.refusal.is_some() {
                Vec::new()
            } else {
                vec![delete.line]
            },
            refusal: delete.refusal,
            blockers: delete.blockers,
            action: format!("{object}delete/"),
            hidden: Vec::new(),
            button: "Yes, delete it",
            danger: true,
            cancel,
        }))
    }

    /// The page that asks before a bulk action; the button posts the action and the ids.
    pub async fn bulk(staff: &Staff, bulk: Bulk, page_title: Option<&str>) -> AppResult<Response> {
        let title = page_title.map_or_else(|| bulk.heading.clone(), str::to_owned);
        Ok(crate::layout::ok(&ConfirmPage {
            page: admin_page(&staff.ctx, title).await?,
            nav: AdminNav::new(bulk.list, &[(bulk.crumb, "")]),
            heading: bulk.heading,
            lines: bulk.lines,
            refusal: bulk.refusal,
            blockers: Vec::new(),
            action: format!("{}bulk/", bulk.list),
            hidden: vec![("action", bulk.action.to_owned()), ("ids", join_ids(&bulk.ids))],
            button: bulk.button,
            danger: bulk.danger,
            cancel: bulk.list.into(),
        }))
    }
}
