//! The admin panel's statements: paginated lists with search and sort, the content writes
//! (categories and items), the audit log, and staff actions on users and the queue. Writes
//! take any connection, so the caller can run them, the audit entry and any job in one
//! transaction.

pub mod audit;
pub mod categories;
pub mod items;
pub mod users;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryOrder, Select, SqlErr,
};

/// Rows per list page (the Django admin's default is 100; 50 keeps pages light).
pub const PAGE_SIZE: u64 = 50;

/// One page of a list, with what the pagination links need.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Rows matching the search and filters, on all pages.
    pub total: u64,
    /// 1-based, already clamped to `1..=pages`.
    pub page: u64,
    /// At least 1, so an empty list is "page 1 of 1".
    pub pages: u64,
}

/// Fetches page `page` (1-based) of `select` as rows of `M` (the model, or a partial one such
/// as a user without the password hash), sorted by `sort` then by id so that rows with equal
/// sort keys keep a stable order across pages. A page past the end shows the last one.
pub async fn page_of<E, M, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    sort: (C, Order),
    id: C,
    page: u64,
) -> Result<Page<M>, DbErr>
where
    E: EntityTrait,
    M: FromQueryResult + Sized + Send + Sync,
    C: ColumnTrait,
{
    let (column, order) = sort;
    let id_order = order.clone();
    let paginator = select
        .order_by(column, order)
        .order_by(id, id_order)
        .into_model::<M>()
        .paginate(db, PAGE_SIZE);
    let total = paginator.num_items().await?;
    let pages = Ord::max(total.div_ceil(PAGE_SIZE), 1);
    let page = page.clamp(1, pages);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        rows,
        total,
        page,
        pages,
    })
}

/// Rows where any of `columns` contains `q`, ignoring case on every backend (PostgreSQL's
/// `LIKE` is case-sensitive, so both sides are lower-cased). `%` and `_` in `q` match
/// themselves.
pub fn search<C: ColumnTrait>(columns: &[C], q: &str) -> Condition {
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |any, column| {
        any.add(
            Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
                .like(LikeExpr::new(pattern.clone()).escape('!')),
        )
    })
}

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
    #[error(transparent)]
    Db(#[from] DbErr),
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
            _ => Self::Db(err),
        }
    }
}
