//! What every admin list shares on the web side: reading `q`, `o`, `page` and filters from the query string
//! (leniently: a bad value means "the default", never an error page), and building the links
//! of the column headers, filters and pagination so each keeps the others.

use folio_db::queries::list::{ListRequest, Page};

use crate::forms::query_escape;

/// The longest search text used; longer input is cut rather than refused.
const MAX_SEARCH_CHARS: usize = 200;

/// The query string of a list page, parsed.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pairs: Vec<(String, String)>,
}

impl ListQuery {
    pub fn parse(raw: Option<&str>) -> Self {
        // Lossy on purpose: a query that does not decode is an empty query.
        let pairs = raw
            .and_then(|raw| serde_urlencoded::from_str::<Vec<(String, String)>>(raw).ok())
            .unwrap_or_default();
        Self { pairs }
    }

    /// The first value of `name`, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn search(&self) -> String {
        self.get("q")
            .map(|q| q.chars().take(MAX_SEARCH_CHARS).collect())
            .unwrap_or_default()
    }

    /// `page=`: a positive integer, else 1. Past the end is clamped by the query.
    pub fn page(&self) -> u64 {
        self.get("page")
            .and_then(|page| page.parse::<u64>().ok())
            .filter(|page| *page > 0)
            .unwrap_or(1)
    }

    /// A filter whose value must be one of `allowed`; anything else is no filter.
    pub fn choice(&self, name: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let value = self.get(name)?;
        allowed.iter().copied().find(|choice| *choice == value)
    }

    /// A filter holding a positive id.
    pub fn id(&self, name: &str) -> Option<i64> {
        self.get(name)?.parse::<i64>().ok().filter(|id| *id > 0)
    }

    /// `o=key` (ascending) or `o=-key` (descending) when `key` is one of `columns`, else
    /// `default`. Returns the sort key, whether it is descending, and its column.
    pub fn sort<C: Copy>(&self, columns: &[(&'static str, C)], default: (&'static str, bool)) -> Sort<C> {
        let requested = self.get("o").map(|o| match o.strip_prefix('-') {
            Some(key) => (key, true),
            None => (o, false),
        });
        let pick = |(key, desc): (&str, bool)| {
            columns
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(name, column)| Sort {
                    key: name,
                    desc,
                    column: *column,
                })
        };
        requested
            .and_then(pick)
            .or_else(|| pick(default))
            .unwrap_or_else(|| {
                let (key, column) = columns[0];
                Sort {
                    key,
                    desc: default.1,
                    column,
                }
            })
    }

    /// What to ask the database for: this page, with this search, in `sort`'s order.
    pub fn request<C: Copy>(&self, sort: &Sort<C>) -> ListRequest<C> {
        ListRequest {
            search: self.search(),
            sort: sort.column,
            descending: sort.desc,
            page: self.page(),
        }
    }
}

/// The sort a list uses.
#[derive(Clone, Copy, Debug)]
pub struct Sort<C> {
    pub key: &'static str,
    pub desc: bool,
    pub column: C,
}

/// What a list's template needs to draw its search box, headers, filters and pager.
#[derive(Debug)]
pub struct ListView {
    pub path: &'static str,
    pub q: String,
    /// Filters in effect, as (name, value), kept in every link.
    pub filters: Vec<(&'static str, String)>,
    pub sort_key: &'static str,
    pub desc: bool,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl ListView {
    pub fn new<C, T>(path: &'static str, query: &ListQuery, sort: &Sort<C>, page: &Page<T>) -> Self {
        Self {
            path,
            q: query.search(),
            filters: Vec::new(),
            sort_key: sort.key,
            desc: sort.desc,
            total: page.total,
            page: page.page,
            pages: page.pages,
        }
    }

    /// Records a filter in effect (so links keep it).
    pub fn with_filter(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.filters.push((name, value.to_string()));
        }
        self
    }

    fn link(&self, filters: &[(&str, String)], o: Option<String>, page: u64) -> String {
        let mut params: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            params.push(("q".into(), self.q.clone()));
        }
        params.extend(filters.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        if let Some(o) = o {
            params.push(("o".into(), o));
        }
        if page > 1 {
            params.push(("page".into(), page.to_string()));
        }
        if params.is_empty() {
            return self.path.to_owned();
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", query_escape(v)))
            .collect();
        format!("{}?{}", self.path, query.join("&"))
    }

    fn current_o(&self) -> String {
        if self.desc {
            format!("-{}", self.sort_key)
        } else {
            self.sort_key.to_owned()
        }
    }

    /// The header link of column `key`: sorts by it, or reverses it when it is the current one.
    pub fn sort_url(&self, key: &str) -> String {
        let o = if key == self.sort_key && !self.desc {
            format!("-{key}")
        } else {
            key.to_owned()
        };
        self.link(&self.filters, Some(o), 1)
    }

    /// "▲" or "▼" next to the current sort column.
    pub fn sort_mark(&self, key: &str) -> &'static str {
        match (key == self.sort_key, self.desc) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        }
    }

    /// The `aria-sort` of column `key`'s header: only the current sort column has one.
    pub fn aria_sort(&self, key: &str) -> Option<&'static str> {
        (key == self.sort_key).then_some(if self.desc { "descending" } else { "ascending" })
    }

    pub fn page_url(&self, page: &u64) -> String {
        self.link(&self.filters, Some(self.current_o()), *page)
    }

    pub fn prev(&self) -> Option<u64> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<u64> {
        (self.page < self.pages).then(|| self.page + 1)
    }

    /// The link that sets filter `name` to `value` (or clears it, for an empty value).
    pub fn filter_url(&self, name: &str, value: &str) -> String {
        let mut filters: Vec<(&str, String)> = self
            .filters
            .iter()
            .filter(|(key, _)| *key != name)
            .map(|(key, v)| (*key, v.clone()))
            .collect();
        if !value.is_empty() {
            filters.push((name, value.to_owned()));
        }
        self.link(&filters, Some(self.current_o()), 1)
    }

    /// Whether filter `name` currently has `value` (an empty `value`: is not set).
    pub fn filter_is(&self, name: &str, value: &str) -> bool {
        let current = self.filters.iter().find(|(key, _)| *key == name);
        match current {
            Some((_, v)) => v == value,
            None => value.is_empty(),
        }
    }

    /// The filters as hidden fields of the search form, so searching keeps them.
    pub fn hidden_filters(&self) -> &[(&'static str, String)] {
        &self.filters
    }
}

/// A filter shown in the list's side panel: a title and (label, value) choices; value "" is
/// "All".
#[derive(Debug)]
pub struct Filter {
    pub name: &'static str,
    pub title: &'static str,
    pub choices: Vec<(String, String)>,
}

impl Filter {
    pub fn new(name: &'static str, title: &'static str, choices: &[(&str, &str)]) -> Self {
        let choices = choices
            .iter()
            .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()));
        Self::with_choices(name, title, choices)
    }

    /// A filter whose choices are data (the categories), as (label, value).
    pub fn with_choices(
        name: &'static str,
        title: &'static str,
        choices: impl Iterator<Item = (String, String)>,
    ) -> Self {
        let mut all = vec![("All".to_owned(), String::new())];
        all.extend(choices);
        Self {
            name,
            title,
            choices: all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(query: &str) -> (ListQuery, ListView) {
        let q = ListQuery::parse(Some(query));
        let sort = q.sort(&[("title", 1), ("created_at", 2)], ("created_at", true));
        let page: Page<()> = Page {
            rows: vec![],
            total: 120,
            page: q.page().min(3),
            pages: 3,
        };
        let v = ListView::new("/admin/items/", &q, &sort, &page);
        (q, v)
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        for bad in [
            "page=abc",
            "page=-1",
            "page=0",
            "page=99999999999999999999999",
            "o=password_hash",
            "o=-",
            "%ZZ",
            "&&==",
        ] {
            let (q, v) = view(bad);
            assert_eq!(q.page(), 1, "{bad}");
            assert_eq!(v.sort_key, "created_at", "{bad}");
            assert!(v.desc, "{bad}");
        }
    }

    #[test]
    fn links_keep_search_filters_and_sort() {
        let (_, v) = view("q=rust+web&o=title&page=2");
        let v = v.with_filter("status", Some("draft"));
        assert_eq!(
            v.sort_url("title"),
            "/admin/items/?q=rust%20web&status=draft&o=-title"
        );
        assert_eq!(
            v.page_url(&3),
            "/admin/items/?q=rust%20web&status=draft&o=title&page=3"
        );
        assert_eq!(v.filter_url("status", ""), "/admin/items/?q=rust%20web&o=title");
        assert!(v.filter_is("status", "draft"));
        assert_eq!(v.prev(), Some(1));
        assert_eq!(v.next(), Some(3));
    }
}
