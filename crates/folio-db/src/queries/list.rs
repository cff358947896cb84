//! What every admin list shares: one page of a table's rows, narrowed by a search text and
//! sorted by one of the columns the table offers, with the id as the tie-breaker. Each
//! table's module says which columns can be searched and sorted (its `…Sort` enum), so the
//! web layer names a sort without knowing a column.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Select,
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

/// What a list page asks for. `S` is the table's sort enum.
#[derive(Clone, Debug)]
pub struct ListRequest<S> {
    /// Rows where any searched column contains this (ignoring case); empty: every row.
    pub search: String,
    pub sort: S,
    pub descending: bool,
    /// 1-based; past the end shows the last page.
    pub page: u64,
}

/// A sortable column of a table, as its module names it.
pub trait SortColumn: Copy {
    type Entity: EntityTrait;
    fn column(self) -> <Self::Entity as EntityTrait>::Column;
}

/// One page of `select` for `request`: narrowed to the rows where any of `searched` contains
/// the search text, sorted, then by `id` so that rows with equal sort keys keep a stable order
/// across pages.
pub(crate) async fn fetch<S, M>(
    db: &impl ConnectionTrait,
    select: Select<S::Entity>,
    searched: &[<S::Entity as EntityTrait>::Column],
    request: &ListRequest<S>,
    id: <S::Entity as EntityTrait>::Column,
) -> Result<Page<M>, DbErr>
where
    S: SortColumn,
    M: FromQueryResult + Sized + Send + Sync,
{
    let select = if request.search.is_empty() {
        select
    } else {
        select.filter(search(searched, &request.search))
    };
    let order = if request.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let paginator = select
        .order_by(request.sort.column(), order.clone())
        .order_by(id, order)
        .into_model::<M>()
        .paginate(db, PAGE_SIZE);
    let total = paginator.num_items().await?;
    let pages = Ord::max(total.div_ceil(PAGE_SIZE), 1);
    let page = request.page.clamp(1, pages);
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        rows,
        total,
        page,
        pages,
    })
}

/// The rows of `E` whose `id` is one of `ids`, in one query (a bulk action's selection).
pub(crate) async fn with_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: &[i64],
) -> Result<Vec<E::Model>, DbErr> {
    E::find().filter(id.is_in(ids.iter().copied())).all(db).await
}

/// Rows where any of `columns` contains `q`, ignoring case on every backend (PostgreSQL's
/// `LIKE` is case-sensitive, so both sides are lower-cased). `%` and `_` in `q` match
/// themselves.
fn search<C: ColumnTrait>(columns: &[C], q: &str) -> Condition {
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

/// Declares a table's sort enum: each variant names the column it sorts by.
macro_rules! sort_columns {
    ($(#[$meta:meta])* $name:ident for $entity:ident { $($variant:ident => $column:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $crate::queries::list::SortColumn for $name {
            type Entity = $entity::Entity;
            fn column(self) -> $entity::Column {
                match self {
                    $(Self::$variant => $entity::Column::$column),+
                }
            }
        }
    };
}
pub(crate) use sort_columns;
