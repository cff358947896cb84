//! Categories: list, add, edit, delete (refused while items remain), bulk delete.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::get;
use folio_db::entities::category;
use folio_db::queries::admin::audit::{self, Entry};
use folio_db::queries::admin::categories::{self, CategoryFields, DeleteError};
use folio_db::queries::admin::{Page, Taken, WriteError};
use folio_db::queries::images::Owner;
use folio_jobs::jobs::images::forget_image_of;
use sea_orm::{EntityTrait, QueryFilter};
use serde::Deserialize;

use super::images;
use super::list::{ListQuery, ListView};
use super::{
    AdminNav, Confirm, ConfirmPage, DeleteOne, Staff, admin_page, commit_audited, flash_error, or_not_found,
    see_other,
};
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
            ("name", category::Column::Name),
            ("slug", category::Column::Slug),
            ("position", category::Column::Position),
            ("updated_at", category::Column::UpdatedAt),
        ],
        ("position", false),
    );
    let db = &staff.ctx.state.db;
    let searched = [category::Column::Name, category::Column::Slug];
    let found: Page<category::Model> = query
        .fetch(
            db,
            category::Entity::find(),
            &searched,
            &sort,
            category::Column::Id,
        )
        .await?;
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

/// Puts a unique-index refusal on the field it belongs to.
pub fn taken_error(errors: &mut FieldErrors, taken: Taken, name_field: &'static str, what: &str) {
    match taken {
        Taken::Name => errors.add(
            name_field,
            format!("{what} with this {name_field} already exists."),
        ),
        Taken::Slug => errors.add("slug", format!("{what} with this slug already exists.")),
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
    let picture = images::current(&ctx.state, current.and_then(|c| c.image_key.as_ref())).await?;
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

/// Saves the form (a new category when `current` is `None`); `Ok(None)` means the form is
/// re-rendered with errors. The image goes as for items (see `images`).
async fn save(
    staff: &Staff,
    ctx: &RequestContext,
    current: Option<&category::Model>,
    form: &CategoryForm,
    file: Option<Upload>,
    errors: &mut FieldErrors,
) -> AppResult<Option<category::Model>> {
    let fields = form.validate(errors);
    let checked = images::check(file, errors).await?;
    let Some(fields) = fields.filter(|_| errors.is_empty()) else {
        return Ok(None);
    };
    let remove = images::ticked(&form.clear_image);
    let fields = &fields;
    images::save_with(&ctx.state.storage, checked, remove, move |image| {
        write(staff, ctx, current, fields, image, errors)
    })
    .await
}

/// The save's transaction: the category, its image change and the audit row.
async fn write(
    staff: &Staff,
    ctx: &RequestContext,
    current: Option<&category::Model>,
    fields: &CategoryFields,
    image: images::Change,
    errors: &mut FieldErrors,
) -> AppResult<Option<category::Model>> {
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    let result = match current {
        None => categories::create(&txn, fields).await,
        Some(current) => categories::update(&txn, current.id, fields).await,
    };
    let saved = match result {
        Ok(saved) => saved,
        Err(WriteError::Taken(taken)) => {
            taken_error(errors, taken, "name", "Category");
            return Ok(None);
        }
        Err(WriteError::Db(sea_orm::DbErr::RecordNotUpdated)) => return Err(ctx.not_found().await),
        // Categories reference nothing, so this is a database failure.
        Err(other) => return Err(AppError::Internal(other.into())),
    };
    image.apply(&txn, Owner::Category(saved.id)).await?;
    let (action, verb) = match current {
        Some(_) => ("update", "Changed"),
        None => ("create", "Created"),
    };
    let entry = Entry::new(
        action,
        "category",
        saved.id,
        format!("{verb} category “{}”", saved.name),
    );
    commit_audited(txn, staff, entry).await?;
    ctx.state.site_cache.invalidate_all();
    let past = if current.is_some() { "changed" } else { "added" };
    ctx.flash(format!("The category “{}” was {past}.", saved.name));
    Ok(Some(saved))
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
        audit::record(&txn, &staff.actor(), entry).await?;
    }
    txn.commit().await?;
    ctx.state.site_cache.invalidate_all();
    Ok(Ok(()))
}

/// The selected categories, from `ids` (repeated, from the list's checkboxes) or one
/// comma-separated `ids` (from the confirmation form).
async fn selected(ctx: &RequestContext, ids: &[i64]) -> AppResult<Vec<category::Model>> {
    use sea_orm::ColumnTrait;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(category::Entity::find()
        .filter(category::Column::Id.is_in(ids.iter().copied()))
        .all(&ctx.state.db)
        .await?)
}

async fn show_bulk(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let ids = super::items::parse_ids(query.all("ids"));
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
    Ok(ok(&ConfirmPage {
        page: admin_page(&staff.ctx, "Delete categories").await?,
        nav: AdminNav::new(LIST, &[("Delete selected", "")]),
        heading: format!(
            "Delete {} categor{}",
            chosen.len(),
            if chosen.len() == 1 { "y" } else { "ies" }
        ),
        lines: chosen
            .iter()
            .map(|c| format!("“{}” will be deleted.", c.name))
            .collect(),
        refusal: (!refusals.is_empty()).then(|| refusals.join(" ")),
        action: "/admin/categories/bulk/".into(),
        hidden: vec![
            ("action", "delete".into()),
            (
                "ids",
                super::items::join_ids(&chosen.iter().map(|c| c.id).collect::<Vec<_>>()),
            ),
        ],
        button: "Yes, delete them",
        cancel: LIST.into(),
    }))
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    ids: String,
}

async fn bulk(staff: Staff, CsrfForm { ctx, data }: CsrfForm<BulkForm>) -> AppResult<Response> {
    let ids = super::items::parse_ids(data.ids.split(','));
    let chosen = selected(&ctx, &ids).await?;
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
