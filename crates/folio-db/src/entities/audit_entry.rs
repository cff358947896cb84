use sea_orm::entity::prelude::*;

/// One admin write: who did what to which object, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_email: String,
    /// e.g. `create`, `update`, `delete`, `publish`, `unpublish`, `retry`.
    pub action: String,
    /// e.g. `item`, `category`, `user`.
    pub object_type: String,
    pub object_id: Option<i64>,
    /// A human-readable line, e.g. the item's title.
    pub summary: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
