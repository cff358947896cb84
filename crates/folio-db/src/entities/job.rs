use sea_orm::entity::prelude::*;

/// Waiting for `run_at`.
pub const QUEUED: &str = "queued";
/// Claimed by a worker until `locked_until`; after that any worker may claim it again.
pub const RUNNING: &str = "running";
/// Out of attempts; kept with `last_error` until staff retry or delete it. Never pruned.
pub const FAILED: &str = "failed";
/// Done: finished at `updated_at`, lease cleared, never claimed again. Kept so staff can see
/// what ran (the admin's job list); workers prune these rows once they are older than
/// `WorkerOptions::keep_succeeded` (24 h by default).
pub const SUCCEEDED: &str = "succeeded";

/// An outbox row: pending work (`queued`, `running`), failures, and recent successes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
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
