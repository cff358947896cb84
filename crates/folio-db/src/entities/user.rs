use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stored lower-cased, so uniqueness is case-insensitive on every backend.
    #[sea_orm(unique)]
    pub email: String,
    /// [`crate::lookalike::lookalike_key`] of the email: finds addresses that read the same.
    /// Empty in rows written by a release from before it was kept (the migration fills it).
    #[serde(default)]
    pub email_lookalike_key: Option<String>,
    /// An argon2id PHC string; never leaves the server.
    pub password_hash: String,
    pub is_staff: bool,
    /// False once staff deactivate the account: it can't sign in and its sessions are gone.
    pub is_active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
