//! Items: list with filters, add and edit with a Markdown preview, delete, and bulk publish /
//! unpublish / delete behind a confirmation page. A draft becoming published (or created
//! published) enqueues one `NotifySubscribers` job in the transaction of the status change; an
//! item scheduled for later enqueues a `PublishScheduled` job that runs at that time.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::entities::{category, item};
use folio_db::queries::audit_entries::{self, Actor, Entry};
use folio_db::queries::categories;
use folio_db::queries::deliveries;
use folio_db::queries::images::Owner;
use folio_db::queries::items::{self, ItemFields, ItemFilter, ItemSort, Publication, Saved};
use folio_db::queries::write_error::WriteError;
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};
use folio_jobs::image_replacement::forget_image_of;
use folio_jobs::jobs::{NotifySubscribers, PublishScheduled};
use serde::Deserialize;

use super::deliveries::DeliveriesInDoubt;
use super::toolkit::bulk::{BulkActions, Question, bulk, show_bulk};
use super::toolkit::delete::{Deletable, Deleted, delete, deleted_if, show_delete};
use super::toolkit::history::{Audited, show_history};
use super::toolkit::image_form::{self, ImageResource, unique_candidates};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Resource, admin_page, found};
use super::{AdminNav, Staff};
use crate::content::slug::Slug;
use crate::content::{IMAGE_ALT_MAX_CHARS, line, markdown, optional_line, text_block};
use crate::error::AppResult;
use crate::features::PathId;
use crate::features::media::{Picture, Pictures, Size};
use crate::forms::{FieldErrors, REQUIRED};
use crate::layout::{PageContext, ok};
use crate::session::RequestContext;
use crate::state::AppState;
use crate::uploads::CsrfUploadForm;
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/items/{id}/history/", get(show_history::<Items>))
        .route("/admin/items/", get(list))
        .route("/admin/items/bulk/", get(show_bulk::<Items>).post(bulk::<Items>))
        .route(
            "/admin/items/{id}/delete/",
            get(show_delete::<Items>).post(delete::<Items>),
        )
}

/// The routes whose forms carry an image (they get the upload body limit).
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/admin/items/add/", get(show_add).post(image_form::add::<Items>))
        .route("/admin/items/preview/", post(preview_new))
        .route(
            "/admin/items/{id}/",
            get(image_form::show_edit::<Items>).post(image_form::edit::<Items>),
        )
        .route("/admin/items/{id}/preview/", post(preview_existing))
}

const LIST: &str = "/admin/items/";

// ---------------------------------------------------------------------------------------------
// List

#[derive(Template)]
#[template(path = "features/admin/templates/items.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<(item::Model, String)>,
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("title", ItemSort::Title),
            ("status", ItemSort::Status),
            ("published_at", ItemSort::PublishedAt),
            ("views", ItemSort::Views),
            ("updated_at", ItemSort::UpdatedAt),
        ],
        ("updated_at", true),
    );
    let db = &staff.ctx.state.db;
    let all_categories = categories::all(db).await?;
    let status = query.choice("status", &[item::DRAFT, item::SCHEDULED, item::PUBLISHED]);
    let category = query
        .id("category")
        .filter(|id| all_categories.iter().any(|c| c.id == *id));
    let filter = ItemFilter {
        status,
        category_id: category,
    };
    let found = items::list(db, filter, &query.request(&sort)).await?;
    let view = ListView::new(LIST, &query, &sort, &found)
        .with_filter("status", status)
        .with_filter("category", category);
    let name_of = |id: i64| {
        all_categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let rows = found.rows.into_iter().map(|row| {
        let name = name_of(row.category_id);
        (row, name)
    });
    let category_choices = all_categories.iter().map(|c| (c.name.clone(), c.id.to_string()));
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Items").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![
            Filter::new(
                "status",
                "By status",
                &[
                    ("Draft", item::DRAFT),
                    ("Scheduled", item::SCHEDULED),
                    ("Published", item::PUBLISHED),
                ],
            ),
            Filter::with_choices("category", "By category", category_choices),
        ],
        rows: rows.collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Form

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub status: String,
    /// The image's description for people who can't see it.
    #[serde(default)]
    pub image_alt: String,
    /// When a scheduled item goes live, as `<input type="datetime-local">` sends it, in UTC.
    #[serde(default)]
    pub publish_at: String,
    /// The "remove the image" checkbox.
    #[serde(default)]
    pub clear_image: String,
    /// The save button pressed: `list`, `edit` or `add`.
    #[serde(default)]
    pub then: String,
}

/// The longest Markdown body accepted (far more than any article; bounds one request's work).
const BODY_MAX_CHARS: usize = 200_000;

impl ItemForm {
    pub fn of(model: &item::Model) -> Self {
        Self {
            title: model.title.clone(),
            slug: model.slug.clone(),
            category: model.category_id.to_string(),
            summary: model.summary.clone(),
            body: model.body.clone(),
            status: model.status.clone(),
            image_alt: model.image_alt.clone(),
            publish_at: model.scheduled_for().map(publish_at_input).unwrap_or_default(),
            ..Self::default()
        }
    }

    fn validate(&self, errors: &mut FieldErrors, categories: &[category::Model]) -> Option<ItemFields> {
        let title = errors.check("title", line(&self.title, 200));
        let slug = errors
            .check("slug", Slug::parse_or_derive(&self.slug, &self.title, "title"))
            .flatten();
        let category_id = self
            .category
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| categories.iter().any(|c| c.id == *id));
        if category_id.is_none() {
            errors.add(
                "category",
                if self.category.trim().is_empty() {
                    REQUIRED
                } else {
                    "Select a valid category."
                },
            );
        }
        let summary = errors.check("summary", line(&self.summary, 200));
        errors.check("body", text_block(&self.body, BODY_MAX_CHARS));
        let image_alt = errors.check("image_alt", optional_line(&self.image_alt, IMAGE_ALT_MAX_CHARS));
        let publication = self.publication(errors, Utc::now());
        let fields = ItemFields {
            category_id: category_id?,
            title: title?,
            slug: slug?.as_str().to_owned(),
            summary: summary?,
            body: self.body.clone(),
            body_html: markdown::render(&self.body),
            image_alt: image_alt?,
            publication: publication?,
        };
        errors.is_empty().then_some(fields)
    }

    /// The status, and for a scheduled item its time, which must be after `now`.
    fn publication(&self, errors: &mut FieldErrors, now: DateTime<Utc>) -> Option<Publication> {
        match self.status.as_str() {
            item::PUBLISHED => Some(Publication::Now),
            item::DRAFT | "" => Some(Publication::Draft),
            item::SCHEDULED => match parse_publish_at(&self.publish_at) {
                Err(message) => {
                    errors.add("publish_at", message);
                    None
                }
                Ok(at) if at <= now => {
                    errors.add(
                        "publish_at",
                        "Choose a time in the future, or set the status to Published to publish now.",
                    );
                    None
                }
                Ok(at) => Some(Publication::At(at)),
            },
            _ => {
                errors.add("status", "Select a valid status.");
                None
            }
        }
    }
}

/// A scheduled time as a `datetime-local` input takes it: minutes, and seconds only when a
/// time has them (so saving the form again keeps the time exactly).
pub fn publish_at_input(at: DateTime<Utc>) -> String {
    let format = if at.second() == 0 {
        "%Y-%m-%dT%H:%M"
    } else {
        "%Y-%m-%dT%H:%M:%S"
    };
    at.format(format).to_string()
}

/// A UTC time as a `datetime-local` input sends it (minutes, or seconds with `step`); a space
/// instead of the `T` is accepted for people who type it.
fn parse_publish_at(input: &str) -> Result<DateTime<Utc>, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the date and time (UTC) to publish at.");
    }
    let normalized = input.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&normalized, format).ok())
        .map(|naive| naive.and_utc())
        .ok_or("Enter a valid date and time, like 2026-12-01 09:30.")
}

#[derive(Template)]
#[template(path = "features/admin/templates/item_form.html")]
pub struct FormPage {
    page: PageContext,
    nav: AdminNav,
    heading: String,
    action: String,
    preview_action: String,
    form: ItemForm,
    errors: FieldErrors,
    categories: Vec<category::Model>,
    /// Set when editing.
    item: Option<item::Model>,
    /// Deliveries of this item per state, for the notification progress.
    deliveries: Vec<(String, i64)>,
    /// Deliveries whose sending's outcome is unknown (a worker died mid-send).
    in_doubt: DeliveriesInDoubt,
    /// Set after the Preview button.
    preview: Option<Preview>,
    /// The item's current image.
    picture: Option<Picture>,
}

/// What the Preview button shows: the unsaved form as the item's public page would show it.
#[derive(Debug)]
struct Preview {
    /// The body rendered by the same function that fills `body_html` on save.
    html: String,
    /// The item's current image at the public page's size, unless the form removes or
    /// replaces it.
    picture: Option<Picture>,
    /// A new image was chosen: it is stored only on save, so the preview can't show it yet.
    new_image: bool,
}

impl FormPage {
    fn is_category(&self, id: &i64) -> bool {
        self.form.category.trim() == id.to_string()
    }

    fn has_status(&self, status: &str) -> bool {
        self.form.status == status || (self.form.status.is_empty() && status == item::DRAFT)
    }

    /// The preview image's `alt`, as the public page will have it: the description typed, or
    /// the title.
    fn preview_alt(&self) -> &str {
        let typed = self.form.image_alt.trim();
        if typed.is_empty() { &self.form.title } else { typed }
    }

    /// The date the preview shows, as the public page does: when the saved item was first
    /// published.
    fn published_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.item.as_ref()?.published_at
    }

    /// Where the public (or, for a draft, staff) sees the saved item.
    fn site_url(&self) -> Option<String> {
        let item = self.item.as_ref()?;
        let category = self.categories.iter().find(|c| c.id == item.category_id)?;
        Some(folio_jobs::site_urls::item(&category.slug, &item.slug))
    }
}

async fn form_page(
    ctx: &RequestContext,
    item: Option<&item::Model>,
    form: ItemForm,
    errors: FieldErrors,
    preview: Option<Preview>,
) -> AppResult<FormPage> {
    let db = &ctx.state.db;
    let (heading, action, preview_action, deliveries, in_doubt) = match item {
        Some(item) => (
            format!("Change item “{}”", item.title),
            format!("/admin/items/{}/", item.id),
            format!("/admin/items/{}/preview/", item.id),
            deliveries::count_by_state(db, item.id).await?,
            DeliveriesInDoubt::of(db, item.id).await?,
        ),
        None => (
            "Add item".to_owned(),
            "/admin/items/add/".to_owned(),
            "/admin/items/preview/".to_owned(),
            Vec::new(),
            DeliveriesInDoubt::default(),
        ),
    };
    let crumb = item.as_ref().map_or("Add", |item| item.title.as_str()).to_owned();
    let picture =
        image_form::current(&ctx.state, item.as_ref().and_then(|item| item.image_key.as_ref())).await?;
    Ok(FormPage {
        page: admin_page(ctx, heading.clone()).await?,
        nav: AdminNav::new(LIST, &[(&crumb, "")]),
        heading,
        action,
        preview_action,
        form,
        errors,
        categories: categories::all(db).await?,
        item: item.cloned(),
        deliveries,
        in_doubt,
        preview,
        picture,
    })
}

async fn show_add(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    // `?category=` preselects a category (the link from a category's page).
    let query = ListQuery::parse(raw.as_deref());
    let form = ItemForm {
        category: query.id("category").map(|id| id.to_string()).unwrap_or_default(),
        ..ItemForm::default()
    };
    Ok(ok(&form_page(
        &staff.ctx,
        None,
        form,
        FieldErrors::default(),
        None,
    )
    .await?))
}

/// Items as the toolkit handles them.
pub struct Items;

impl Resource for Items {
    type Row = item::Model;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<item::Model>, DbErr> {
        items::find(db, id).await
    }

    fn id(item: &item::Model) -> i64 {
        item.id
    }
}

/// The item form: the row, its audit entries, and the notification of a publication.
impl ImageResource for Items {
    type Form = ItemForm;
    type Fields = ItemFields;
    type Saved = Saved;
    type Page = FormPage;

    fn form_of(item: &item::Model) -> ItemForm {
        ItemForm::of(item)
    }

    async fn validate(
        state: &AppState,
        current: Option<&item::Model>,
        form: &ItemForm,
        errors: &mut FieldErrors,
    ) -> AppResult<Option<ItemFields>> {
        let db = &state.db;
        let fields = form.validate(errors, &categories::all(db).await?);
        if let Some((title, slug)) = unique_candidates(&form.title, &form.slug) {
            let taken = items::taken(db, title, &slug, current.map(|item| item.id)).await?;
            image_form::report_taken(errors, &taken, "title", "Item", !form.slug.trim().is_empty());
        }
        Ok(fields)
    }

    fn clear_image(form: &ItemForm) -> &str {
        &form.clear_image
    }

    fn then(form: &ItemForm) -> &str {
        &form.then
    }

    async fn page(
        ctx: &RequestContext,
        current: Option<&item::Model>,
        form: ItemForm,
        errors: FieldErrors,
    ) -> AppResult<FormPage> {
        form_page(ctx, current, form, errors, None).await
    }

    fn saved_id(saved: &Saved) -> i64 {
        saved.item.id
    }

    async fn write(
        txn: &DatabaseTransaction,
        current: Option<&item::Model>,
        fields: &ItemFields,
    ) -> Result<Saved, WriteError> {
        match current {
            None => items::create(txn, fields).await,
            Some(current) => items::update(txn, current.id, fields).await,
        }
    }

    fn refusal(err: &WriteError) -> Option<(&'static str, String)> {
        match err {
            WriteError::Taken(taken) => Some(image_form::taken(*taken, "title", "Item")),
            WriteError::MissingParent => Some((
                "category",
                "This category was just deleted; select another.".to_owned(),
            )),
            _ => None,
        }
    }

    fn owner(saved: &Saved) -> Owner {
        Owner::Item(saved.item.id)
    }

    /// The audit row, and for an item this save published, its notification and a second
    /// audit row.
    async fn record(txn: &DatabaseTransaction, actor: &Actor, saved: &Saved, created: bool) -> AppResult<()> {
        let item = &saved.item;
        let (action, verb) = if created {
            ("create", "Created")
        } else {
            ("update", "Changed")
        };
        let entry = Entry::new(action, "item", item.id, format!("{verb} item “{}”", item.title));
        audit_entries::record(txn, actor, entry).await?;
        if saved.published_now {
            folio_jobs::enqueue(txn, &NotifySubscribers { item_id: item.id }).await?;
            let entry = Entry::new(
                "publish",
                "item",
                item.id,
                format!("Published item “{}”", item.title),
            );
            audit_entries::record(txn, actor, entry).await?;
        }
        if let Some(at) = saved.scheduled_for {
            folio_jobs::enqueue_at(txn, &PublishScheduled { item_id: item.id, at }, at).await?;
            let summary = format!(
                "Scheduled item “{}” for {} UTC",
                item.title,
                at.format("%Y-%m-%d %H:%M")
            );
            let entry = Entry::new("schedule", "item", item.id, summary);
            audit_entries::record(txn, actor, entry).await?;
        }
        Ok(())
    }

    fn done(saved: &Saved, created: bool) -> String {
        let verb = if created { "added" } else { "changed" };
        let also = match (saved.published_now, saved.scheduled_for) {
            (true, _) => " and published; subscribers will be notified".to_owned(),
            (false, Some(at)) => format!(
                "; it will be published, and subscribers notified, at {} UTC",
                at.format("%Y-%m-%d %H:%M")
            ),
            (false, None) => String::new(),
        };
        format!("The item “{}” was {verb}{also}.", saved.item.title)
    }
}

async fn preview_new(
    _staff: Staff,
    CsrfUploadForm {
        ctx,
        data: form,
        file,
    }: CsrfUploadForm<ItemForm>,
) -> AppResult<Response> {
    preview(&ctx, None, form, file.is_some()).await
}

async fn preview_existing(
    _staff: Staff,
    PathId(id): PathId,
    CsrfUploadForm {
        ctx,
        data: form,
        file,
    }: CsrfUploadForm<ItemForm>,
) -> AppResult<Response> {
    let current = found::<Items>(&ctx, id).await?;
    preview(&ctx, Some(&current), form, file.is_some()).await
}

/// The form again, unsaved, with the preview beside it.
async fn preview(
    ctx: &RequestContext,
    current: Option<&item::Model>,
    form: ItemForm,
    new_image: bool,
) -> AppResult<Response> {
    let keeps_image = form.clear_image.is_empty() && !new_image;
    let key = current
        .and_then(|item| item.image_key.clone())
        .filter(|_| keeps_image);
    let picture = Pictures::load(&ctx.state, [&key], Size::Display)
        .await?
        .get(&key)
        .cloned();
    let preview = Preview {
        html: markdown::render(&form.body),
        picture,
        new_image,
    };
    Ok(ok(&form_page(
        ctx,
        current,
        form,
        FieldErrors::default(),
        Some(preview),
    )
    .await?))
}

// ---------------------------------------------------------------------------------------------
// Delete and bulk actions

impl Audited for Items {
    const OBJECT_TYPE: &'static str = "item";

    fn title(item: &item::Model) -> String {
        item.title.clone()
    }
}

impl Deletable for Items {
    const NOUN: &'static str = "item";
    const ON_SITE: bool = true;

    fn name(item: &item::Model) -> Option<String> {
        Some(item.title.clone())
    }

    fn warning(item: &item::Model) -> String {
        format!(
            "The item “{}” and its delivery records will be deleted.",
            item.title
        )
    }

    /// The item, its image and (by cascade) its delivery records.
    async fn delete(txn: &DatabaseTransaction, item: &item::Model) -> Result<Deleted, DbErr> {
        forget_image_of(txn, Owner::Item(item.id)).await?;
        Ok(deleted_if(items::delete(txn, item.id).await?))
    }

    fn summary(item: &item::Model) -> String {
        format!("Deleted item “{}”", item.title)
    }

    fn deleted(item: &item::Model) -> String {
        format!("The item “{}” was deleted.", item.title)
    }
}

/// A bulk action on items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Publish,
    Unpublish,
    Delete,
}

impl Action {
    const ALL: [Self; 3] = [Self::Publish, Self::Unpublish, Self::Delete];

    /// The action's name in the form, its verb, and the verb's past tense.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Publish => ("publish", "Publish", "published"),
            Self::Unpublish => ("unpublish", "Unpublish", "unpublished"),
            Self::Delete => ("delete", "Delete", "deleted"),
        }
    }

    /// Whether the action changes `item` (publishing a published item does nothing; a
    /// scheduled one is published now, or unpublished back to a draft).
    fn changes(self, item: &item::Model) -> bool {
        match self {
            Self::Publish => !item.is_published(),
            Self::Unpublish => item.status != item::DRAFT,
            Self::Delete => true,
        }
    }

    fn describe(self, item: &item::Model) -> String {
        match (self, self.changes(item)) {
            (Self::Publish, true) => format!("“{}” will be published and subscribers notified.", item.title),
            (Self::Unpublish, true) => format!("“{}” will become a draft.", item.title),
            (Self::Delete, _) => format!("“{}” will be deleted.", item.title),
            (_, false) => format!("“{}” is already {}: no change.", item.title, item.status),
        }
    }
}

impl BulkActions for Items {
    type Action = Action;
    fn nothing_chosen() -> String {
        "Select one or more items and an action.".to_owned()
    }

    fn action(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.words().0 == name)
    }

    fn name(action: Action) -> &'static str {
        action.words().0
    }

    async fn find_many(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<item::Model>, DbErr> {
        items::find_many(db, ids).await
    }

    async fn question(
        _db: &DatabaseConnection,
        action: Action,
        chosen: &[item::Model],
    ) -> Result<Question, DbErr> {
        let changing = chosen.iter().filter(|item| action.changes(item)).count();
        let (_, verb, _) = action.words();
        Ok(Question {
            heading: format!("{verb} {changing} item{}", if changing == 1 { "" } else { "s" }),
            title: None,
            crumb: "Confirm",
            lines: chosen.iter().map(|item| action.describe(item)).collect(),
            refusal: (changing == 0).then(|| "None of the selected items would change.".to_owned()),
            button: "Yes, I'm sure",
            danger: action == Action::Delete,
        })
    }

    /// Each change with its audit row, each publication with its notification job.
    async fn apply(
        ctx: &RequestContext,
        staff: &Staff,
        action: Action,
        chosen: &[item::Model],
    ) -> AppResult<Result<String, String>> {
        let (_, _, past) = action.words();
        let txn = folio_db::begin_write(&ctx.state.db).await?;
        let mut changed = 0;
        for item in chosen {
            if apply_one(&txn, &staff.actor(), action, item).await? {
                changed += 1;
            }
        }
        txn.commit().await?;
        if changed > 0 {
            ctx.state.site_cache.content_changed().await;
        }
        let were = if changed == 1 { " was" } else { "s were" };
        Ok(Ok(format!("{changed} item{were} {past}.")))
    }
}

/// `action` on one item in the caller's transaction, with its audit row and, for a
/// publication, its notification job; returns whether the item changed.
async fn apply_one(
    txn: &DatabaseTransaction,
    actor: &Actor,
    action: Action,
    item: &item::Model,
) -> AppResult<bool> {
    let done = match action {
        Action::Delete => matches!(Items::delete(txn, item).await?, Deleted::Yes),
        Action::Publish | Action::Unpublish => {
            items::set_status(txn, item.id, action == Action::Publish).await?
        }
    };
    if !done {
        return Ok(false);
    }
    if action == Action::Publish {
        folio_jobs::enqueue(txn, &NotifySubscribers { item_id: item.id }).await?;
    }
    let (name, _, past) = action.words();
    let summary = format!("{} item “{}”", capitalized(past), item.title);
    audit_entries::record(txn, actor, Entry::new(name, "item", item.id, summary)).await?;
    Ok(true)
}

/// Publishes (`true`) or unpublishes `item` now, as the admin's bulk action does: the audit
/// row, the subscribers' notification, the public cache. Returns whether it changed.
pub async fn set_published(
    state: &AppState,
    actor: &Actor,
    item: &item::Model,
    publish: bool,
) -> AppResult<bool> {
    let action = if publish {
        Action::Publish
    } else {
        Action::Unpublish
    };
    let txn = folio_db::begin_write(&state.db).await?;
    let changed = apply_one(&txn, actor, action, item).await?;
    txn.commit().await?;
    if changed {
        state.site_cache.content_changed().await;
    }
    Ok(changed)
}

/// `word` with its first letter upper-cased ("published" → "Published").
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
