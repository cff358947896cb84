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
        ]
    }
}
