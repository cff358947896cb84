use sea_orm::entity::prelude::*;

/// `status` of a draft item: invisible to the public.
pub const DRAFT: &str = "draft";
/// `status` of a published item.
pub const PUBLISHED: &str = "published";
/// `status` of an item waiting to be published at its `published_at` (by the
/// `publish_scheduled` job): invisible to the public until then.
pub const SCHEDULED: &str = "scheduled";

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub category_id: i64,
    #[sea_orm(unique)]
    pub title: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub summary: String,
    /// Markdown as staff wrote it.
    pub body: String,
    /// `body` rendered and sanitised when it was saved, so a page view never renders Markdown.
    pub body_html: String,
    pub image_key: Option<String>,
    /// The image's description for people who can't see it (empty: the title stands in).
    pub image_alt: String,
    /// [`DRAFT`], [`PUBLISHED`] or [`SCHEDULED`].
    pub status: String,
    /// When it was first published or, while [`SCHEDULED`], when it will be.
    pub published_at: Option<DateTimeUtc>,
    pub view_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    pub fn is_published(&self) -> bool {
        self.status == PUBLISHED
    }

    /// What the item's image shows, for `alt`: its description, or the title without one.
    pub fn image_description(&self) -> &str {
        if self.image_alt.is_empty() {
            &self.title
        } else {
            &self.image_alt
        }
    }

    /// When a [`SCHEDULED`] item will be published.
    pub fn scheduled_for(&self) -> Option<DateTimeUtc> {
        if self.status == SCHEDULED {
            self.published_at
        } else {
            None
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
