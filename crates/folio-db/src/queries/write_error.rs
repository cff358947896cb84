//! How a content write can be refused by the database itself.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, SqlErr};

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

/// Which of a `(name column, value)` and a `(slug column, value)` another row of `E` (not
/// `except`) already has, so a form can report both at once. Each comparison is the database's
/// own, as its unique index makes it (MySQL ignores case, the others do not); the indexes stay
/// the guarantee, since a row saved in between is still refused.
pub(crate) async fn taken<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    name: (E::Column, &str),
    slug: (E::Column, &str),
    id: E::Column,
    except: Option<i64>,
) -> Result<Vec<Taken>, DbErr>
where
    E::Model: Sync,
{
    let mut taken = Vec::new();
    for (kind, (column, value)) in [(Taken::Name, name), (Taken::Slug, slug)] {
        let mut select = E::find().filter(column.eq(value));
        if let Some(except) = except {
            select = select.filter(id.ne(except));
        }
        if select.count(conn).await? > 0 {
            taken.push(kind);
        }
    }
    Ok(taken)
}
