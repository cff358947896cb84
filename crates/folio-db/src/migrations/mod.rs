//! Schema migrations, in Rust, append-only. Never edit one that has shipped: add a new one.
//! Each is additive (expand first, contract in a later release) so that the release before and
//! the release after a deploy can both run against the migrated schema.

use sea_orm_migration::prelude::*;

mod m0001_notes;
mod m0002_site;
mod m0003_images;
mod m0004_email_suppressions;
mod m0005_editor;
mod m0006_jobs_kept;
mod m0007_rendition_widths;
mod m0008_delivery_states;
mod m0009_api_tokens;
mod m0010_email_lookalike_keys;
mod types;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_notes::Migration),
            Box::new(m0002_site::Migration),
            Box::new(m0003_images::Migration),
            Box::new(m0004_email_suppressions::Migration),
            Box::new(m0005_editor::Migration),
            Box::new(m0006_jobs_kept::Migration),
            Box::new(m0007_rendition_widths::Migration),
            Box::new(m0008_delivery_states::Migration),
            Box::new(m0009_api_tokens::Migration),
            Box::new(m0010_email_lookalike_keys::Migration),
        ]
    }
}

/// Where a database's schema stands against this build's migrations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// This build's migrations not applied yet: the schema is behind, and this build must not
    /// serve it until `folio migrate` has run.
    pub pending: Vec<String>,
    /// Migrations applied that this build does not know: a newer release migrated the
    /// database. Migrations are additive, so this build runs on it: the release before keeps
    /// serving during a deploy, and a rollback can start it again.
    pub newer: Vec<String>,
}

/// Compares the applied migrations with this build's, reading only (the application role may
/// not create `seaql_migrations`, which sea-orm's own status check would try).
pub async fn schema_status(db: &sea_orm::DatabaseConnection) -> Result<SchemaStatus, DbErr> {
    use sea_orm::EntityTrait;
    use sea_orm_migration::seaql_migrations;

    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let applied: Vec<String> = if SchemaManager::new(db).has_table("seaql_migrations").await? {
        seaql_migrations::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.version)
            .collect()
    } else {
        Vec::new()
    };
    let mut newer: Vec<String> = applied
        .iter()
        .filter(|version| !known.contains(version))
        .cloned()
        .collect();
    newer.sort();
    Ok(SchemaStatus {
        pending: known.into_iter().filter(|name| !applied.contains(name)).collect(),
        newer,
    })
}
