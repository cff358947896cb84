//! Notification deliveries: one row per (item, subscriber), the record that makes each email
//! go out at most once, and the history of what went: a delivery outlives its subscriber
//! (`subscriber_id` is set to NULL when the subscriber goes), so an item's counts stay true
//! after unsubscribes.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Value,
};

use crate::entities::delivery::{self, FAILED, PENDING, SENDING, SENT};
use crate::entities::{item, subscriber};

/// Creates a pending delivery of `item_id` for every confirmed subscriber who has none yet,
/// in one `INSERT … SELECT` (so a retried fan-out adds only what is missing). Returns how
/// many rows it added: none when the item was deleted or unpublished since the job was
/// queued (a delivery for a deleted item would break its foreign key, and the job would
/// retry for nothing).
pub async fn fan_out(conn: &impl ConnectionTrait, item_id: i64) -> Result<u64, DbErr> {
    let now = Utc::now();
    let still_published = Query::select()
        .expr(Expr::val(1))
        .from(item::Entity)
        .and_where(Expr::col((item::Entity, item::Column::Id)).eq(item_id))
        .and_where(Expr::col((item::Entity, item::Column::Status)).eq(item::PUBLISHED))
        .take();
    let already = Query::select()
        .expr(Expr::val(1))
        .from(delivery::Entity)
        .and_where(Expr::col((delivery::Entity, delivery::Column::ItemId)).eq(item_id))
        .and_where(
            Expr::col((delivery::Entity, delivery::Column::SubscriberId))
                .equals((subscriber::Entity, subscriber::Column::Id)),
        )
        .take();
    let recipients = Query::select()
        .expr(Expr::val(item_id))
        .column((subscriber::Entity, subscriber::Column::Id))
        .expr(Expr::val(PENDING))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(subscriber::Entity)
        .and_where(Expr::col((subscriber::Entity, subscriber::Column::Confirmed)).eq(true))
        .and_where(Expr::exists(already).not())
        .and_where(Expr::exists(still_published))
        .order_by((subscriber::Entity, subscriber::Column::Id), sea_orm::Order::Asc)
        .take();
    let insert = Query::insert()
        .into_table(delivery::Entity)
        .columns([
            delivery::Column::ItemId,
            delivery::Column::SubscriberId,
            delivery::Column::State,
            delivery::Column::CreatedAt,
            delivery::Column::UpdatedAt,
        ])
        .select_from(recipients)
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .take();
    let result = conn.execute(&insert).await?;
    Ok(result.rows_affected())
}

/// The ids of the item's deliveries still pending, in order.
pub async fn pending_ids(conn: &impl ConnectionTrait, item_id: i64) -> Result<Vec<i64>, DbErr> {
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::ItemId.eq(item_id))
        .filter(delivery::Column::State.eq(PENDING))
        .order_by_asc(delivery::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// A pending delivery with what its email needs.
#[derive(Clone, Debug, FromQueryResult)]
pub struct PendingDelivery {
    pub id: i64,
    pub email: String,
    pub token: String,
}

/// The pending deliveries of `item_id` with ids in `first..=last`, to confirmed subscribers.
pub async fn pending_in_range(
    conn: &impl ConnectionTrait,
    item_id: i64,
    first: i64,
    last: i64,
) -> Result<Vec<PendingDelivery>, DbErr> {
    let query = Query::select()
        .column((delivery::Entity, delivery::Column::Id))
        .column((subscriber::Entity, subscriber::Column::Email))
        .column((subscriber::Entity, subscriber::Column::Token))
        .from(delivery::Entity)
        .inner_join(
            subscriber::Entity,
            Expr::col((subscriber::Entity, subscriber::Column::Id))
                .equals((delivery::Entity, delivery::Column::SubscriberId)),
        )
        .and_where(Expr::col((delivery::Entity, delivery::Column::ItemId)).eq(item_id))
        .and_where(Expr::col((delivery::Entity, delivery::Column::Id)).between(first, last))
        .and_where(Expr::col((delivery::Entity, delivery::Column::State)).eq(PENDING))
        .and_where(Expr::col((subscriber::Entity, subscriber::Column::Confirmed)).eq(true))
        .order_by((delivery::Entity, delivery::Column::Id), sea_orm::Order::Asc)
        .take();
    PendingDelivery::find_by_statement(conn.get_database_backend().build(&query))
        .all(conn)
        .await
}

async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    from: &str,
    to: &str,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    let result = delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(to))
        .col_expr(
            delivery::Column::LastError,
            Expr::value(Value::String(error.map(str::to_owned))),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::State.eq(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Takes a pending delivery for sending. Committed before the email is handed to the mail
/// server; false when someone else took it (or it was already sent), and then it must not be
/// sent.
pub async fn start_sending(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    transition(conn, id, PENDING, SENDING, None).await
}

/// The mail server accepted the message.
pub async fn mark_sent(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    transition(conn, id, SENDING, SENT, None).await
}

/// The mail server refused the message for good, or its fate is unknown.
pub async fn mark_failed(conn: &impl ConnectionTrait, id: i64, error: &str) -> Result<bool, DbErr> {
    transition(conn, id, SENDING, FAILED, Some(error)).await
}

/// The mail server refused the message temporarily: it was certainly not sent, so it may be
/// tried again.
pub async fn give_back(conn: &impl ConnectionTrait, id: i64, error: &str) -> Result<bool, DbErr> {
    transition(conn, id, SENDING, PENDING, Some(error)).await
}

/// How many deliveries of `item_id` are in each state. Deliveries whose subscriber has gone
/// count too (what was sent stays sent), except pending ones: those will never be sent.
/// (Ending a subscription deletes its pending deliveries, see `subscribers::delete`; one the
/// fan-out added at that very moment is left pending without a subscriber, and skipped here.)
pub async fn count_by_state(conn: &impl ConnectionTrait, item_id: i64) -> Result<Vec<(String, i64)>, DbErr> {
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::State)
        .column_as(delivery::Column::Id.count(), "n")
        .filter(delivery::Column::ItemId.eq(item_id))
        .filter(
            sea_orm::Condition::any()
                .add(delivery::Column::State.ne(PENDING))
                .add(delivery::Column::SubscriberId.is_not_null()),
        )
        .group_by(delivery::Column::State)
        .into_tuple()
        .all(conn)
        .await
}

/// The ids of `subscriber_id`'s deliveries not yet attempted: read before the subscriber is
/// deleted, so that [`drop_unsent`] can remove them afterwards.
pub async fn pending_ids_of_subscriber(
    conn: &impl ConnectionTrait,
    subscriber_id: i64,
) -> Result<Vec<i64>, DbErr> {
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::SubscriberId.eq(subscriber_id))
        .filter(delivery::Column::State.eq(PENDING))
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes those of `ids` that are still pending and have lost their subscriber: emails that
/// will never be sent are no history. By primary key, so it locks only these rows.
pub async fn drop_unsent(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let result = delivery::Entity::delete_many()
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .filter(delivery::Column::State.eq(PENDING))
        .filter(delivery::Column::SubscriberId.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// A delivery claimed for sending whose outcome was never recorded: the worker stopped (a
/// crash, a kill) between committing `sending` and recording what the mail server said. The
/// email may or may not have gone.
#[derive(Clone, Debug, FromQueryResult)]
pub struct InDoubt {
    pub id: i64,
    pub email: String,
    /// When it was claimed.
    pub since: chrono::DateTime<Utc>,
}

/// The deliveries of `item_id` left `sending` since before `before` whose subscriber is still
/// there, oldest first, at most `limit`; and how many there are in all.
pub async fn in_doubt(
    conn: &impl ConnectionTrait,
    item_id: i64,
    before: chrono::DateTime<Utc>,
    limit: u64,
) -> Result<(Vec<InDoubt>, u64), DbErr> {
    let query = in_doubt_query(item_id, before)
        .column((delivery::Entity, delivery::Column::Id))
        .column((subscriber::Entity, subscriber::Column::Email))
        .expr_as(
            Expr::col((delivery::Entity, delivery::Column::UpdatedAt)),
            Alias::new("since"),
        )
        .order_by(
            (delivery::Entity, delivery::Column::UpdatedAt),
            sea_orm::Order::Asc,
        )
        .order_by((delivery::Entity, delivery::Column::Id), sea_orm::Order::Asc)
        .limit(limit)
        .take();
    let backend = conn.get_database_backend();
    let listed = InDoubt::find_by_statement(backend.build(&query))
        .all(conn)
        .await?;
    let count = in_doubt_query(item_id, before)
        .expr_as(
            Func::count(Expr::col((delivery::Entity, delivery::Column::Id))),
            Alias::new("n"),
        )
        .take();
    let total: Option<i64> = conn
        .query_one(&count)
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?;
    Ok((listed, total.unwrap_or(0).try_into().unwrap_or(0)))
}

fn in_doubt_query(item_id: i64, before: chrono::DateTime<Utc>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from(delivery::Entity)
        .inner_join(
            subscriber::Entity,
            Expr::col((subscriber::Entity, subscriber::Column::Id))
                .equals((delivery::Entity, delivery::Column::SubscriberId)),
        )
        .and_where(Expr::col((delivery::Entity, delivery::Column::ItemId)).eq(item_id))
        .and_where(Expr::col((delivery::Entity, delivery::Column::State)).eq(SENDING))
        .and_where(Expr::col((delivery::Entity, delivery::Column::UpdatedAt)).lt(before))
        .take()
}

/// Puts `item_id`'s deliveries in doubt (see [`in_doubt`]) back to pending, so they are sent
/// again: staff decided so, knowing some may arrive twice. Returns their ids, in order.
pub async fn retry_in_doubt(
    conn: &impl ConnectionTrait,
    item_id: i64,
    before: chrono::DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let query = in_doubt_query(item_id, before)
        .column((delivery::Entity, delivery::Column::Id))
        .order_by((delivery::Entity, delivery::Column::Id), sea_orm::Order::Asc)
        .take();
    let rows = conn.query_all(&query).await?;
    let ids = rows
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Ok(ids);
    }
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(PENDING))
        .col_expr(
            delivery::Column::LastError,
            Expr::value("sent again by staff: the first attempt's outcome was unknown"),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery::Column::Id.is_in(ids.iter().copied()))
        .filter(delivery::Column::State.eq(SENDING))
        .exec(conn)
        .await?;
    Ok(ids)
}
