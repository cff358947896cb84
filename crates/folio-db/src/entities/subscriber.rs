use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Set when a signed-in user subscribed from their settings.
    pub user_id: Option<i64>,
    /// Random; proves the holder received our mail (confirmation and unsubscribe links).
    #[sea_orm(unique)]
    pub token: String,
    /// Double opt-in: only confirmed subscribers are notified.
    pub confirmed: bool,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
