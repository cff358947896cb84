//! The `contact_messages` table: what visitors send through the contact form, read by staff.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, Set};

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
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// One page of the admin's message list; the search looks at every text column.
pub async fn list(
    conn: &impl ConnectionTrait,
    request: &ListRequest<MessageSort>,
) -> Result<Page<contact_message::Model>, DbErr> {
    let searched = [
        contact_message::Column::Name,
        contact_message::Column::Email,
        contact_message::Column::Subject,
        contact_message::Column::Message,
    ];
    let select = contact_message::Entity::find();
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

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = contact_message::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}
