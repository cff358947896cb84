//! How a content write can be refused by the database itself.

use sea_orm::{DbErr, SqlErr};

/// Which unique column refused a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// The name (categories) or title (items).
    Name,
    Slug,
}

/// Why a content write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A unique index refused the row: the one place duplicates are detected, so two
    /// simultaneous saves can't both succeed.
    #[error("already taken: {0:?}")]
    Taken(Taken),
    /// A foreign key refused the row: the item's category was deleted meanwhile.
    #[error("the referenced row is gone")]
    MissingParent,
    /// The row to update is gone (deleted while the form was open).
    #[error("the row is gone")]
    Gone,
    #[error(transparent)]
    Db(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(err: DbErr) -> Self {
        Self::from_db(err)
    }
}

impl WriteError {
    /// Classifies a database error; a unique violation names its index or column, and only
    /// the slug's contains "slug". MySQL quotes the duplicate value first ("Duplicate entry
    /// '…' for key 'items.slug'"), so only the part after "for key" is read.
    pub fn from_db(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                let key = message.rsplit("for key").next().unwrap_or(&message);
                if key.contains("slug") {
                    Self::Taken(Taken::Slug)
                } else {
                    Self::Taken(Taken::Name)
                }
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::MissingParent,
            _ if matches!(err, DbErr::RecordNotUpdated) => Self::Gone,
            _ => Self::Db(err),
        }
    }
}
