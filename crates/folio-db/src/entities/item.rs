use sea_orm::entity::prelude::*;

/// `status` of a draft item: invisible to the public.
pub const DRAFT: &str = "draft";
/// `status` of a published item.
pub const PUBLISHED: &str = "published";

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
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
    /// [`DRAFT`] or [`PUBLISHED`].
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub view_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    pub fn is_published(&self) -> bool {
        self.status == PUBLISHED
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
