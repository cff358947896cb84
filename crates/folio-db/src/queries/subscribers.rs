//! Email subscriptions to new items: double opt-in by token, one-click unsubscribe by token.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
    SqlErr, TransactionSession, TransactionTrait,
};

use super::deliveries;
use super::list::{self, ListRequest, Page, sort_columns};
use crate::entities::subscriber;

sort_columns! {
    /// The columns the admin's subscriber list sorts by.
    SubscriberSort for subscriber {
        Email => Email,
        CreatedAt => CreatedAt,
        ConfirmedAt => ConfirmedAt,
    }
}

/// One page of the admin's subscriber list, all or only the (un)confirmed ones; the search
/// looks at the email.
pub async fn list(
    conn: &impl ConnectionTrait,
    confirmed: Option<bool>,
    request: &ListRequest<SubscriberSort>,
) -> Result<Page<subscriber::Model>, DbErr> {
    let mut select = subscriber::Entity::find();
    if let Some(confirmed) = confirmed {
        select = select.filter(subscriber::Column::Confirmed.eq(confirmed));
    }
    let searched = [subscriber::Column::Email];
    list::fetch(conn, select, &searched, request, subscriber::Column::Id).await
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<subscriber::Model>, DbErr> {
    subscriber::Entity::find_by_id(id).one(conn).await
}

pub async fn find_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<subscriber::Model>, DbErr> {
    list::with_ids::<subscriber::Entity>(conn, subscriber::Column::Id, ids).await
}

/// How many subscribers there are: all, or only the (un)confirmed ones.
pub async fn count(conn: &impl ConnectionTrait, confirmed: Option<bool>) -> Result<u64, DbErr> {
    let mut select = subscriber::Entity::find();
    if let Some(confirmed) = confirmed {
        select = select.filter(subscriber::Column::Confirmed.eq(confirmed));
    }
    select.count(conn).await
}

/// Deletes a subscriber. Their deliveries stay as the items' history (the foreign key sets
/// `subscriber_id` to NULL), except those not yet attempted, which would now never go.
///
/// The subscriber row goes first, as it did when deliveries cascaded: a fan-out that holds the
/// row (MySQL's shared lock of `INSERT … SELECT`) finishes before the delete touches any
/// delivery, so the two can't deadlock. The pending ids are read before, since afterwards they
/// no longer name the subscriber.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let unsent = deliveries::pending_ids_of_subscriber(conn, id).await?;
    let result = subscriber::Entity::delete_by_id(id).exec(conn).await?;
    deliveries::drop_unsent(conn, &unsent).await?;
    Ok(result.rows_affected == 1)
}

/// What asking to subscribe did.
#[derive(Debug)]
pub enum Subscribed {
    /// A new subscription, confirmed or waiting for confirmation.
    New(subscriber::Model),
    /// The email already had a subscription (confirmed or not); nothing changed.
    Existing(subscriber::Model),
}

/// Subscribes `email` (lower-cased by the caller). `token` is the new row's random token;
/// `confirmed` is true only when the email is known to belong to the person (a signed-in user
/// subscribing their own account email).
pub async fn subscribe<C>(
    conn: &C,
    email: &str,
    token: &str,
    user_id: Option<i64>,
    confirmed: bool,
) -> Result<Subscribed, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    if let Some(existing) = find_by_email(conn, email).await? {
        return Ok(Subscribed::Existing(existing));
    }
    let now = Utc::now();
    let row = subscriber::ActiveModel {
        email: Set(email.to_owned()),
        user_id: Set(user_id),
        token: Set(token.to_owned()),
        confirmed: Set(confirmed),
        created_at: Set(now),
        confirmed_at: Set(confirmed.then_some(now)),
        ..Default::default()
    };
    // In a savepoint: on PostgreSQL a failed statement spoils the rest of the transaction,
    // and the caller's transaction must go on to read the winner's row.
    let savepoint = conn.begin().await?;
    match row.insert(&savepoint).await {
        Ok(model) => {
            savepoint.commit().await?;
            Ok(Subscribed::New(model))
        }
        // The unique email index decides, so two simultaneous requests can't make two rows.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            savepoint.rollback().await?;
            let existing = find_by_email(conn, email)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound("subscriber vanished".into()))?;
            Ok(Subscribed::Existing(existing))
        }
        Err(err) => Err(err),
    }
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<subscriber::Model>, DbErr> {
    subscriber::Entity::find()
        .filter(subscriber::Column::Email.eq(email))
        .one(conn)
        .await
}

pub async fn find_by_token(
    conn: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<subscriber::Model>, DbErr> {
    subscriber::Entity::find()
        .filter(subscriber::Column::Token.eq(token))
        .one(conn)
        .await
}

/// Confirms the subscription holding `token`; false when there is none.
pub async fn confirm(conn: &impl ConnectionTrait, token: &str) -> Result<bool, DbErr> {
    let Some(found) = find_by_token(conn, token).await? else {
        return Ok(false);
    };
    if !found.confirmed {
        subscriber::Entity::update_many()
            .col_expr(subscriber::Column::Confirmed, Expr::value(true))
            .col_expr(subscriber::Column::ConfirmedAt, Expr::value(Utc::now()))
            .filter(subscriber::Column::Id.eq(found.id))
            .exec(conn)
            .await?;
    }
    Ok(true)
}

/// Ends the subscription holding `token` (its row and pending deliveries go, sent ones stay
/// counted on their items: see [`delete`]); false when there is none, e.g. it was already
/// ended.
pub async fn unsubscribe(conn: &impl ConnectionTrait, token: &str) -> Result<bool, DbErr> {
    match find_by_token(conn, token).await? {
        Some(found) => delete(conn, found.id).await,
        None => Ok(false),
    }
}

/// Ends the subscription of `email`, if any.
pub async fn unsubscribe_email(conn: &impl ConnectionTrait, email: &str) -> Result<bool, DbErr> {
    match find_by_email(conn, email).await? {
        Some(found) => delete(conn, found.id).await,
        None => Ok(false),
    }
}
