use sea_orm::entity::prelude::*;

/// Created by the fan-out, not yet attempted.
pub const PENDING: &str = "pending";
/// Claimed by a sender, which commits this state *before* talking to the mail server. A row
/// left in this state by a crash is never sent again: that is the at-most-once guarantee.
pub const SENDING: &str = "sending";
/// The mail server accepted the message.
pub const SENT: &str = "sent";
/// The mail server refused the message; `last_error` says why.
pub const FAILED: &str = "failed";

/// One notification email: one row per (item, subscriber), unique. The row is the history of
/// what was sent, so it outlives its subscriber (m0006).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub item_id: i64,
    /// None once the subscriber unsubscribed or was deleted: the delivery stays, counted on
    /// its item, with no recipient left to name.
    pub subscriber_id: Option<i64>,
    pub state: String,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
