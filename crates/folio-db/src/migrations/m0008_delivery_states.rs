//! An index on deliveries by item and state. An item's notification progress (its counts per
//! state), the fan-out's list of what is still pending, and the deliveries left in doubt all ask
//! "this item's deliveries in this state"; with 10,000 subscribers the item index alone leaves
//! 10,000 rows to filter per question. Purely additive: the previous release neither needs nor
//! notices it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum Deliveries {
    Table,
    ItemId,
    State,
}

const INDEX: &str = "idx_deliveries_item_state";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Deliveries::Table)
                    .col(Deliveries::ItemId)
                    .col(Deliveries::State)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Deliveries::Table).to_owned())
            .await
    }
}
