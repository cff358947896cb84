use sea_orm::entity::prelude::*;

/// An address no mail goes to any more, because SES reported a hard bounce or a complaint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "email_suppressions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    /// `bounce` or `complaint`.
    pub reason: String,
    /// What SES said: the bounce subtype or the complaint's feedback type.
    pub detail: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
