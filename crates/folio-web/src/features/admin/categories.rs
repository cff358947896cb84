//! Categories: list, add, edit, delete (refused while items remain), bulk delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::category;
use folio_db::queries::audit_entries::{self, Actor, Entry};
use folio_db::queries::categories::{self, CategoryFields, CategorySort, DeleteError};
use folio_db::queries::images::Owner;
use folio_db::queries::items;
use folio_db::queries::write_error::WriteError;
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};
use folio_jobs::image_replacement::forget_image_of;
use serde::Deserialize;

use super::toolkit::bulk::{BulkDelete, bulk, show_bulk};
use super::toolkit::delete::{Deletable, Deleted, delete, show_delete};
use super::toolkit::history::{Audited, show_history};
use super::toolkit::image_form::{self, ImageResource, unique_candidates};
use super::toolkit::list::{ListQuery, ListView};
use super::toolkit::{Resource, admin_page};
use super::{AdminNav, Staff};
use crate::content::slug::Slug;
use crate::content::{IMAGE_ALT_MAX_CHARS, line, optional_line, text_block};
use crate::error::AppResult;
use crate::features::media::Picture;
use crate::forms::FieldErrors;
use crate::layout::{PageContext, ok};
use crate::session::RequestContext;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/categories/{id}/history/", get(show_history::<Categories>))
        .route("/admin/categories/", get(list))
        .route(
            "/admin/categories/bulk/",
            get(show_bulk::<Categories>).post(bulk::<Categories>),
        )
        .route(
            "/admin/categories/{id}/delete/",
            get(show_delete::<Categories>).post(delete::<Categories>),
        )
}

/// The routes whose forms carry an image (they get the upload body limit).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/categories/add/",
            get(show_add).post(image_form::add::<Categories>),
        )
        .route(
            "/admin/categories/{id}/",
            get(image_form::show_edit::<Categories>).post(image_form::edit::<Categories>),
        )
}

const LIST: &str = "/admin/categories/";

#[derive(Template)]
#[template(path = "features/admin/templates/categories.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    rows: Vec<(category::Model, i64)>,
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("name", CategorySort::Name),
            ("slug", CategorySort::Slug),
            ("position", CategorySort::Position),
            ("updated_at", CategorySort::UpdatedAt),
        ],
        ("position", false),
    );
    let db = &staff.ctx.state.db;
    let found = categories::list(db, &query.request(&sort)).await?;
    let view = ListView::new(LIST, &query, &sort, &found);
    let ids: Vec<i64> = found.rows.iter().map(|row| row.id).collect();
    let counts = categories::item_counts(db, &ids).await?;
    let count_of = |id: i64| counts.iter().find(|(c, _)| *c == id).map_or(0, |(_, n)| *n);
    let rows = found
        .rows
        .into_iter()
        .map(|row| {
            let items = count_of(row.id);
            (row, items)
        })
        .collect();
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Categories").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "features/admin/templates/category_form.html")]
pub struct FormPage {
    page: PageContext,
    nav: AdminNav,
    heading: String,
    action: String,
    form: CategoryForm,
    errors: FieldErrors,
    category_id: Option<i64>,
    /// The saved category's public page.
    site_url: Option<String>,
    /// The category's current image.
    picture: Option<Picture>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub position: String,
    /// The image's description for people who can't see it.
    #[serde(default)]
    pub image_alt: String,
    /// The "remove the image" checkbox.
    #[serde(default)]
    pub clear_image: String,
    /// The save button pressed: `list`, `edit` or `add`.
    #[serde(default)]
    pub then: String,
}

/// The longest category summary accepted (a card's text, not an article).
const SUMMARY_MAX_CHARS: usize = 2_000;

impl CategoryForm {
    pub fn of(model: &category::Model) -> Self {
        Self {
            name: model.name.clone(),
            slug: model.slug.clone(),
            summary: model.summary.clone(),
            position: model.position.to_string(),
            image_alt: model.image_alt.clone(),
            ..Self::default()
        }
    }

    fn validate(&self, errors: &mut FieldErrors) -> Option<CategoryFields> {
        let name = errors.check("name", line(&self.name, 200));
        let slug = errors
            .check("slug", Slug::parse_or_derive(&self.slug, &self.name, "name"))
            .flatten();
        let summary = self.summary.trim();
        errors.check("summary", text_block(summary, SUMMARY_MAX_CHARS));
        let position = match self.position.trim() {
            "" => Some(0),
            raw => errors.check(
                "position",
                raw.parse::<i32>()
                    .ok()
                    .filter(|p| (0..=1_000_000).contains(p))
                    .ok_or_else(|| "Enter a whole number between 0 and 1000000.".to_owned()),
            ),
        };
        let image_alt = errors.check("image_alt", optional_line(&self.image_alt, IMAGE_ALT_MAX_CHARS));
        let (name, slug, position, image_alt) = (name?, slug?, position?, image_alt?);
        errors.is_empty().then(|| CategoryFields {
            name,
            slug: slug.as_str().to_owned(),
            summary: summary.to_owned(),
            position,
            image_alt,
        })
    }
}

async fn form_page(
    ctx: &RequestContext,
    current: Option<&category::Model>,
    form: CategoryForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let (heading, action, crumb) = match current {
        Some(category) => (
            format!("Change category “{}”", category.name),
            format!("/admin/categories/{}/", category.id),
            category.name.clone(),
        ),
        None => (
            "Add category".to_owned(),
            "/admin/categories/add/".to_owned(),
            "Add".to_owned(),
        ),
    };
    let picture = image_form::current(&ctx.state, current.and_then(|c| c.image_key.as_ref())).await?;
    Ok(FormPage {
        page: admin_page(ctx, heading.clone()).await?,
        nav: AdminNav::new(LIST, &[(&crumb, "")]),
        heading,
        action,
        form,
        errors,
        category_id: current.map(|category| category.id),
        site_url: current.map(|category| folio_jobs::site_urls::category(&category.slug)),
        picture,
    })
}

async fn show_add(staff: Staff) -> AppResult<Response> {
    Ok(ok(&form_page(
        &staff.ctx,
        None,
        CategoryForm::default(),
        FieldErrors::default(),
    )
    .await?))
}

/// Categories as the toolkit handles them.
pub struct Categories;

impl Resource for Categories {
    type Row = category::Model;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<category::Model>, DbErr> {
        categories::find(db, id).await
    }

    fn id(category: &category::Model) -> i64 {
        category.id
    }
}

impl ImageResource for Categories {
    type Form = CategoryForm;
    type Fields = CategoryFields;
    type Saved = category::Model;
    type Page = FormPage;

    fn form_of(category: &category::Model) -> CategoryForm {
        CategoryForm::of(category)
    }

    async fn validate(
        state: &AppState,
        current: Option<&category::Model>,
        form: &CategoryForm,
        errors: &mut FieldErrors,
    ) -> AppResult<Option<CategoryFields>> {
        let fields = form.validate(errors);
        if let Some((name, slug)) = unique_candidates(&form.name, &form.slug) {
            let except = current.map(|category| category.id);
            let taken = categories::taken(&state.db, name, &slug, except).await?;
            image_form::report_taken(errors, &taken, "name", "Category", !form.slug.trim().is_empty());
        }
        Ok(fields)
    }

    fn clear_image(form: &CategoryForm) -> &str {
        &form.clear_image
    }

    fn then(form: &CategoryForm) -> &str {
        &form.then
    }

    async fn page(
        ctx: &RequestContext,
        current: Option<&category::Model>,
        form: CategoryForm,
        errors: FieldErrors,
    ) -> AppResult<FormPage> {
        form_page(ctx, current, form, errors).await
    }

    fn saved_id(saved: &category::Model) -> i64 {
        saved.id
    }

    async fn write(
        txn: &DatabaseTransaction,
        current: Option<&category::Model>,
        fields: &CategoryFields,
    ) -> Result<category::Model, WriteError> {
        match current {
            None => categories::create(txn, fields).await,
            Some(current) => categories::update(txn, current.id, fields).await,
        }
    }

    fn refusal(err: &WriteError) -> Option<(&'static str, String)> {
        // Categories reference nothing, so only a taken name or slug is the form's.
        match err {
            WriteError::Taken(taken) => Some(image_form::taken(*taken, "name", "Category")),
            _ => None,
        }
    }

    fn owner(saved: &category::Model) -> Owner {
        Owner::Category(saved.id)
    }

    async fn record(
        txn: &DatabaseTransaction,
        actor: &Actor,
        saved: &category::Model,
        created: bool,
    ) -> AppResult<()> {
        let (action, verb) = if created {
            ("create", "Created")
        } else {
            ("update", "Changed")
        };
        let entry = Entry::new(
            action,
            "category",
            saved.id,
            format!("{verb} category “{}”", saved.name),
        );
        audit_entries::record(txn, actor, entry).await?;
        Ok(())
    }

    fn done(saved: &category::Model, created: bool) -> String {
        let past = if created { "added" } else { "changed" };
        format!("The category “{}” was {past}.", saved.name)
    }
}

/// The most blocking items a refused delete lists (the refusal gives the count).
const MAX_BLOCKERS_SHOWN: u64 = 50;

fn refusal(category: &category::Model, items: u64) -> String {
    format!(
        "The category “{}” still has {items} item{}; move or delete them first.",
        category.name,
        if items == 1 { "" } else { "s" }
    )
}

impl Audited for Categories {
    const OBJECT_TYPE: &'static str = "category";

    fn title(category: &category::Model) -> String {
        category.name.clone()
    }
}

impl Deletable for Categories {
    const NOUN: &'static str = "category";
    const ON_SITE: bool = true;

    fn name(category: &category::Model) -> Option<String> {
        Some(category.name.clone())
    }

    fn warning(category: &category::Model) -> String {
        format!("The category “{}” will be deleted.", category.name)
    }

    async fn refusal(db: &DatabaseConnection, category: &category::Model) -> Result<Option<String>, DbErr> {
        let items = categories::count_items(db, category.id).await?;
        Ok((items > 0).then(|| refusal(category, items)))
    }

    async fn blockers(
        db: &DatabaseConnection,
        category: &category::Model,
    ) -> Result<Vec<(String, String)>, DbErr> {
        let blocking = items::in_category(db, category.id, MAX_BLOCKERS_SHOWN).await?;
        Ok(blocking
            .into_iter()
            .map(|item| (item.title, format!("/admin/items/{}/", item.id)))
            .collect())
    }

    /// The category and its image, unless it still has items (refusing drops the caller's
    /// transaction, and the image change with it).
    async fn delete(txn: &DatabaseTransaction, category: &category::Model) -> Result<Deleted, DbErr> {
        forget_image_of(txn, Owner::Category(category.id)).await?;
        // A category deleted meanwhile counts as deleted (as a bulk delete treats it).
        match categories::delete(txn, category.id).await {
            Ok(_) => Ok(Deleted::Yes),
            Err(DeleteError::HasItems(items)) => Ok(Deleted::Refused(refusal(category, items))),
            Err(DeleteError::Db(err)) => Err(err),
        }
    }

    fn summary(category: &category::Model) -> String {
        format!("Deleted category “{}”", category.name)
    }

    fn deleted(category: &category::Model) -> String {
        format!("The category “{}” was deleted.", category.name)
    }
}

impl BulkDelete for Categories {
    const NOUNS: (&'static str, &'static str) = ("category", "categories");

    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<category::Model>, DbErr> {
        categories::find_many(db, ids).await
    }
}
