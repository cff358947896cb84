use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub pad_id: Option<i64>,
    pub name: String,
    pub text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::pad::Entity",
        from = "Column::PadId",
        to = "super::pad::Column::Id"
    )]
    Pad,
}

impl Related<super::pad::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Pad.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
