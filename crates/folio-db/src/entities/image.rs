use sea_orm::entity::prelude::*;

/// An uploaded image. Its objects live under `key` in storage (the original, and the
/// renditions once `renditions_ready`); `categories.image_key` / `items.image_key` point here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "images")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `images/<random uuid>`: never derived from the uploaded file's name.
    #[sea_orm(unique)]
    pub key: String,
    /// The stored original's file extension: `jpg` or `png` (uploads are re-encoded to one of them).
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub byte_size: i64,
    /// Set by the thumbnail job once every rendition is stored; pages show the original until then.
    pub renditions_ready: bool,
    /// The extra widths made beside the base renditions, as object names separated by spaces
    /// (`thumb-600 display-600 display-1800`); empty for images rendered before they existed.
    pub rendition_extras: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
