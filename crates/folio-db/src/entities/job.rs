use sea_orm::entity::prelude::*;

/// Waiting for `run_at`.
pub const QUEUED: &str = "queued";
/// Claimed by a worker until `locked_until`; after that any worker may claim it again.
pub const RUNNING: &str = "running";
/// Out of attempts; kept with `last_error` until staff retry or delete it.
pub const FAILED: &str = "failed";

/// An outbox row. A job that succeeds is deleted, so the table holds only pending work and
/// failures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The job's stable name, e.g. `send_email`.
    pub kind: String,
    /// The job's arguments as JSON.
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
