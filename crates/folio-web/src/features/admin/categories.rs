//! Categories: list, add, edit, delete (refused while items remain), bulk delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::DatabaseTransaction;
use folio_db::entities::category;
use folio_db::queries::audit_entries::{self, Entry};
use folio_db::queries::categories::{self, CategoryFields, CategorySort, DeleteError};
use folio_db::queries::images::Owner;
use folio_db::queries::write_error::WriteError;
use folio_jobs::image_replacement::forget_image_of;
use serde::Deserialize;

use super::toolkit::confirm::{Bulk, ConfirmPage, DeleteOne};
use super::toolkit::image_form::{self, ImageResource};
use super::toolkit::list::{ListQuery, ListView};
use super::toolkit::{BulkForm, Confirm, admin_page, flash_error, or_not_found, parse_ids, see_other};
use super::{AdminNav, Staff};
use crate::content::line;
use crate::content::slug::Slug;
use crate::error::{AppError, AppResult};
use crate::features::PathId;
use crate::features::media::Picture;
use crate::forms::{CsrfForm, FieldErrors};
use crate::layout::{PageContext, invalid, ok};
use crate::session::RequestContext;
use crate::state::AppState;
use crate::uploads::{CsrfUploadForm, Upload};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/categories/", get(list))
        .route("/admin/categories/bulk/", get(show_bulk).post(bulk))
        .route("/admin/categories/{id}/delete/", get(show_delete).post(delete))
}

/// The routes whose forms carry an image (they get the upload body limit).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/admin/categories/add/", get(show_add).post(add))
        .route("/admin/categories/{id}/", get(show_edit).post(edit))
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
struct FormPage {
    page: PageContext,
    nav: AdminNav,
    heading: String,
    action: String,
    form: CategoryForm,
    errors: FieldErrors,
    category_id: Option<i64>,
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
    /// The "remove the image" checkbox.
    #[serde(default)]
    pub clear_image: String,
}

/// The longest category summary accepted (a card's text, not an article).
const SUMMARY_MAX_CHARS: usize = 2_000;

impl CategoryForm {
    fn of(model: &category::Model) -> Self {
        Self {
            name: model.name.clone(),
            slug: model.slug.clone(),
            summary: model.summary.clone(),
            position: model.position.to_string(),
            clear_image: String::new(),
        }
    }

    fn validate(&self, errors: &mut FieldErrors) -> Option<CategoryFields> {
        let name = errors.check("name", line(&self.name, 200));
        let slug = errors.check("slug", Slug::parse_or_derive(&self.slug, &self.name));
        let summary = self.summary.trim();
        let count = summary.chars().count();
        if count > SUMMARY_MAX_CHARS {
            errors.add(
                "summary",
                format!("Ensure this value has at most {SUMMARY_MAX_CHARS} characters (it has {count})."),
            );
        }
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
        let (name, slug, position) = (name?, slug?, position?);
        errors.is_empty().then(|| CategoryFields {
            name,
            slug: slug.as_str().to_owned(),
            summary: summary.to_owned(),
            position,
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

/// A category's form: the row and its audit entry.
struct Categories;

impl ImageResource for Categories {
    type Row = category::Model;
    type Fields = CategoryFields;
    type Saved = category::Model;

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
        staff: &Staff,
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
        audit_entries::record(txn, &staff.actor(), entry).await?;
        Ok(())
    }

    fn done(saved: &category::Model, created: bool) -> String {
        let past = if created { "added" } else { "changed" };
        format!("The category “{}” was {past}.", saved.name)
    }
}

/// Saves the form (a new category when `current` is `None`); `Ok(None)` means the form is
/// re-rendered with errors.
async fn save(
    staff: &Staff,
    ctx: &RequestContext,
    current: Option<&category::Model>,
    form: &CategoryForm,
    file: Option<Upload>,
    errors: &mut FieldErrors,
) -> AppResult<Option<category::Model>> {
    let fields = form.validate(errors);
    image_form::save::<Categories>(staff, ctx, current, fields, file, &form.clear_image, errors).await
}

async fn add(
    staff: Staff,
    CsrfUploadForm {
        ctx,
        data: form,
        file,
    }: CsrfUploadForm<CategoryForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    match save(&staff, &ctx, None, &form, file, &mut errors).await? {
        Some(saved) => Ok(see_other(&format!("/admin/categories/{}/", saved.id))),
        None => Ok(invalid(&form_page(&ctx, None, form, errors).await?)),
    }
}

async fn found(ctx: &RequestContext, id: i64) -> AppResult<category::Model> {
    or_not_found(ctx, categories::find(&ctx.state.db, id).await?).await
}

async fn show_edit(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let category = found(&staff.ctx, id).await?;
    let form = CategoryForm::of(&category);
    Ok(ok(&form_page(
        &staff.ctx,
        Some(&category),
        form,
        FieldErrors::default(),
    )
    .await?))
}

async fn edit(
    staff: Staff,
    PathId(id): PathId,
    CsrfUploadForm {
        ctx,
        data: form,
        file,
    }: CsrfUploadForm<CategoryForm>,
) -> AppResult<Response> {
    let current = found(&ctx, id).await?;
    let mut errors = FieldErrors::default();
    match save(&staff, &ctx, Some(&current), &form, file, &mut errors).await? {
        Some(_) => Ok(see_other(&format!("/admin/categories/{id}/"))),
        None => Ok(invalid(&form_page(&ctx, Some(&current), form, errors).await?)),
    }
}

fn refusal(category: &category::Model, items: u64) -> String {
    format!(
        "The category “{}” still has {items} item{}; move or delete them first.",
        category.name,
        if items == 1 { "" } else { "s" }
    )
}

async fn show_delete(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let category = found(&staff.ctx, id).await?;
    let items = categories::count_items(&staff.ctx.state.db, id).await?;
    let delete = DeleteOne::new(
        LIST,
        id,
        "category",
        format!("The category “{}” will be deleted.", category.name),
    )
    .named(&category.name)
    .refused((items > 0).then(|| refusal(&category, items)));
    ConfirmPage::delete_one(&staff, delete).await
}

async fn delete(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let category = found(&ctx, id).await?;
    match delete_all(&ctx, &staff, std::slice::from_ref(&category)).await? {
        Ok(()) => {
            ctx.flash(format!("The category “{}” was deleted.", category.name));
            Ok(see_other(LIST))
        }
        Err(refused) => {
            flash_error(&ctx, refused);
            Ok(see_other(&format!("/admin/categories/{id}/")))
        }
    }
}

/// Deletes `categories` in one transaction with their audit entries, or none of them (the
/// refusal message) when one still has items.
async fn delete_all(
    ctx: &RequestContext,
    staff: &Staff,
    categories: &[category::Model],
) -> AppResult<Result<(), String>> {
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    for category in categories {
        // Refusing the delete below drops the transaction, and this with it.
        forget_image_of(&txn, Owner::Category(category.id)).await?;
        match categories::delete(&txn, category.id).await {
            Ok(_) => {}
            Err(DeleteError::HasItems(items)) => return Ok(Err(refusal(category, items))),
            Err(DeleteError::Db(err)) => return Err(AppError::from(err)),
        }
        let entry = Entry::new(
            "delete",
            "category",
            category.id,
            format!("Deleted category “{}”", category.name),
        );
        audit_entries::record(&txn, &staff.actor(), entry).await?;
    }
    txn.commit().await?;
    ctx.state.site_cache.invalidate_all();
    Ok(Ok(()))
}

/// The selected categories (none for no ids).
async fn selected(ctx: &RequestContext, ids: &[i64]) -> AppResult<Vec<category::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(categories::find_many(&ctx.state.db, ids).await?)
}

async fn show_bulk(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let ids = parse_ids(query.all("ids"));
    let chosen = selected(&staff.ctx, &ids).await?;
    if chosen.is_empty() || query.get("action") != Some("delete") {
        flash_error(&staff.ctx, "Select one or more categories and an action.");
        return Ok(see_other(LIST));
    }
    let mut refusals = Vec::new();
    for category in &chosen {
        let items = categories::count_items(&staff.ctx.state.db, category.id).await?;
        if items > 0 {
            refusals.push(refusal(category, items));
        }
    }
    let bulk = Bulk {
        list: LIST,
        heading: format!(
            "Delete {} categor{}",
            chosen.len(),
            if chosen.len() == 1 { "y" } else { "ies" }
        ),
        crumb: "Delete selected",
        action: "delete",
        ids: chosen.iter().map(|c| c.id).collect(),
        lines: chosen
            .iter()
            .map(|c| format!("“{}” will be deleted.", c.name))
            .collect(),
        refusal: (!refusals.is_empty()).then(|| refusals.join(" ")),
        button: "Yes, delete them",
    };
    ConfirmPage::bulk(&staff, bulk, Some("Delete categories")).await
}

async fn bulk(staff: Staff, CsrfForm { ctx, data }: CsrfForm<BulkForm>) -> AppResult<Response> {
    let chosen = selected(&ctx, &data.ids()).await?;
    if chosen.is_empty() || data.action != "delete" {
        flash_error(&ctx, "Select one or more categories and an action.");
        return Ok(see_other(LIST));
    }
    match delete_all(&ctx, &staff, &chosen).await? {
        Ok(()) => ctx.flash(format!(
            "{} categor{} deleted.",
            chosen.len(),
            if chosen.len() == 1 { "y was" } else { "ies were" }
        )),
        Err(refused) => flash_error(&ctx, refused),
    }
    Ok(see_other(LIST))
}
