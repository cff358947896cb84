//! Staff and content helpers: a signed-in staff member, and categories and items created the
//! way staff create them (through the admin forms over HTTP), so tests of the public site
//! start from content that went through the same validation, rendering and outbox.

use folio_db::entities::{item, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{TestApp, Visitor};

/// The fields of a new item for [`TestApp::create_item_with`]; `Default` gives a draft with a
/// summary and a short Markdown body.
#[derive(Clone, Debug)]
pub struct NewItem<'a> {
    pub title: &'a str,
    /// Empty: derived from the title.
    pub slug: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub published: bool,
}

impl Default for NewItem<'_> {
    fn default() -> Self {
        Self {
            title: "An item",
            slug: "",
            summary: "A short summary.",
            body: "Some *Markdown* text.",
            published: false,
        }
    }
}

/// The id in a redirect to `/admin/<kind>/<id>/`.
impl TestApp {
    /// A visitor signed in as a new staff member (password [`crate::PASSWORD`]): signs up
    /// through the UI, sets `is_staff` in the database (what `folio admin create-user --staff`
    /// does), then signs in, so the session knows too (the public site shows drafts to staff).
    pub async fn staff_visitor(&self, email: &str) -> Visitor {
        let visitor = self.visitor();
        visitor
            .sign_up(email, crate::PASSWORD)
            .await
            .assert_redirect("/signin/");
        self.set_staff(email, true).await;
        visitor.sign_in(email, crate::PASSWORD).await.assert_redirect("/");
        visitor
    }

    /// Sets `users.is_staff` of `email` directly in the database. The admin guard reads the
    /// row on every request, so this opens or closes the panel at once.
    pub async fn set_staff(&self, email: &str, is_staff: bool) {
        let updated = user::Entity::update_many()
            .col_expr(user::Column::IsStaff, Expr::value(is_staff))
            .filter(user::Column::Email.eq(email))
            .exec(self.db())
            .await
            .unwrap();
        assert_eq!(updated.rows_affected, 1, "no user {email}");
    }

    /// Creates a category through the admin form (as `staff`, from [`TestApp::staff_visitor`])
    /// with a derived slug, and returns its id.
    pub async fn create_category(&self, staff: &Visitor, name: &str) -> i64 {
        let page = staff
            .submit(
                "/admin/categories/add/",
                &[
                    ("name", name),
                    ("slug", ""),
                    ("summary", "About it."),
                    ("position", "0"),
                ],
            )
            .await;
        page.redirect_id("/admin/categories/")
            .unwrap_or_else(|| panic!("category not created ({}): {}", page.status, page.body))
    }

    /// Creates an item in `category` through the admin form, as a draft or published (which
    /// enqueues its notification job; run it with [`TestApp::run_jobs`]). Returns its id.
    pub async fn create_item(&self, staff: &Visitor, category: i64, title: &str, published: bool) -> i64 {
        let item = NewItem {
            title,
            published,
            ..NewItem::default()
        };
        self.create_item_with(staff, category, &item).await
    }

    /// [`TestApp::create_item`] with every field chosen.
    pub async fn create_item_with(&self, staff: &Visitor, category: i64, item: &NewItem<'_>) -> i64 {
        let category = category.to_string();
        let status = if item.published { "published" } else { "draft" };
        let page = staff
            .submit(
                "/admin/items/add/",
                &[
                    ("title", item.title),
                    ("slug", item.slug),
                    ("category", &category),
                    ("summary", item.summary),
                    ("body", item.body),
                    ("status", status),
                ],
            )
            .await;
        page.redirect_id("/admin/items/")
            .unwrap_or_else(|| panic!("item not created ({}): {}", page.status, page.body))
    }

    /// The item's row, as stored.
    pub async fn item(&self, id: i64) -> item::Model {
        item::Entity::find_by_id(id)
            .one(self.db())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no item {id}"))
    }
}
