//! The `contact_messages` table: what visitors send through the contact form, read by staff.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::list::{self, ListRequest, Page, sort_columns};
use crate::entities::contact_message;

sort_columns! {
    /// The columns the admin's message list sorts by.
    MessageSort for contact_message {
        CreatedAt => CreatedAt,
        Subject => Subject,
        Email => Email,
        Name => Name,
    }
}

/// A message as the contact form validated it.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub subject: &'a str,
    pub message: &'a str,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    new: &NewMessage<'_>,
) -> Result<contact_message::Model, DbErr> {
    contact_message::ActiveModel {
        name: Set(new.name.to_owned()),
        email: Set(new.email.to_owned()),
        subject: Set(new.subject.to_owned()),
        message: Set(new.message.to_owned()),
        created_at: Set(Utc::now()),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// One page of the admin's message list, all or only the read (`Some(true)`) or unread ones;
/// the search looks at every text column.
pub async fn list(
    conn: &impl ConnectionTrait,
    read: Option<bool>,
    request: &ListRequest<MessageSort>,
) -> Result<Page<contact_message::Model>, DbErr> {
    let searched = [
        contact_message::Column::Name,
        contact_message::Column::Email,
        contact_message::Column::Subject,
        contact_message::Column::Message,
    ];
    let mut select = contact_message::Entity::find();
    if let Some(read) = read {
        select = select.filter(read_is(read));
    }
    list::fetch(conn, select, &searched, request, contact_message::Column::Id).await
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<Option<contact_message::Model>, DbErr> {
    contact_message::Entity::find_by_id(id).one(conn).await
}

pub async fn find_many(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<contact_message::Model>, DbErr> {
    list::with_ids::<contact_message::Entity>(conn, contact_message::Column::Id, ids).await
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    contact_message::Entity::find().count(conn).await
}

pub async fn count_unread(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    contact_message::Entity::find()
        .filter(read_is(false))
        .count(conn)
        .await
}

fn read_is(read: bool) -> sea_orm::Condition {
    let column = contact_message::Column::ReadAt;
    sea_orm::Condition::all().add(if read {
        column.is_not_null()
    } else {
        column.is_null()
    })
}

/// Marks message `id` read (at `now`, kept if it was read before) or unread; returns whether
/// it changed.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    id: i64,
    read: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let read_at = read.then_some(now);
    let result = contact_message::Entity::update_many()
        .col_expr(contact_message::Column::ReadAt, Expr::value(read_at))
        .filter(contact_message::Column::Id.eq(id))
        .filter(read_is(!read))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = contact_message::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}
