//! Page-numbered lists: `?page=` (from 1) and `?per_page=` (1 to 500, default 50). The body
//! carries the page and the total; `Link` names the first, previous, next and last pages with
//! the same filters, and `X-Total-Count` repeats the total.
//!
//! Pages rather than cursors: lists are per user and small (hundreds), a total is cheap, and
//! "page 3 of 10" is what the browser app shows.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, ApiResult};

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    /// Reads `?page=` and `?per_page=`; anything else than a number in range is a 400.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> ApiResult<Self> {
        let page = number("page", page, 1, 1, u64::from(u32::MAX))?;
        let per_page = number("per_page", per_page, DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)?;
        Ok(Self { page, per_page })
    }

    pub fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

fn number(name: &str, raw: Option<&str>, default: u64, min: u64, max: u64) -> ApiResult<u64> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(ApiError::BadRequest(format!(
            "`{name}` must be a whole number from {min} to {max}."
        ))),
    }
}

/// A page of a list, as the body says it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub data: Vec<T>,
    /// The page shown, from 1.
    pub page: u64,
    pub per_page: u64,
    /// How many there are in all pages.
    pub total: u64,
}

/// `Link` and `X-Total-Count` for `page` of a list at `path`, whose other query parameters
/// (filters, order) are `kept`, already encoded.
pub fn add_page_links(
    response: &mut Response,
    path: &str,
    kept: &[(String, String)],
    page: PageRequest,
    total: u64,
) {
    let last = total.div_ceil(page.per_page).max(1);
    let url = |number: u64| {
        let mut query = format!("page={number}&per_page={}", page.per_page);
        for (name, value) in kept {
            query.push_str(&format!("&{name}={}", crate::forms::query_escape(value)));
        }
        format!("<{path}?{query}>")
    };
    let mut links = vec![format!("{}; rel=\"first\"", url(1))];
    if page.page > 1 {
        links.push(format!("{}; rel=\"prev\"", url((page.page - 1).min(last))));
    }
    if page.page < last {
        links.push(format!("{}; rel=\"next\"", url(page.page + 1)));
    }
    links.push(format!("{}; rel=\"last\"", url(last)));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert(header::LINK, value);
    }
    headers.insert("x-total-count", HeaderValue::from(total));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_checked() {
        assert_eq!(
            PageRequest::parse(None, None).ok(),
            Some(PageRequest {
                page: 1,
                per_page: DEFAULT_PER_PAGE
            })
        );
        assert_eq!(
            PageRequest::parse(Some("3"), Some("10"))
                .map(PageRequest::offset)
                .ok(),
            Some(20)
        );
        for (page, per_page) in [
            (Some("0"), None),
            (Some("x"), None),
            (None, Some("501")),
            (None, Some("-1")),
        ] {
            assert!(
                PageRequest::parse(page, per_page).is_err(),
                "{page:?} {per_page:?}"
            );
        }
    }

    #[test]
    fn links_name_neighbours_and_keep_filters() {
        let mut response = Response::new(axum::body::Body::empty());
        let kept = vec![("order".to_owned(), "-name".to_owned())];
        add_page_links(
            &mut response,
            "/api/v1/notes",
            &kept,
            PageRequest {
                page: 2,
                per_page: 10,
            },
            35,
        );
        let link = response.headers()[header::LINK]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            link.contains("</api/v1/notes?page=1&per_page=10&order=-name>; rel=\"first\""),
            "{link}"
        );
        assert!(
            link.contains("page=1&per_page=10&order=-name>; rel=\"prev\""),
            "{link}"
        );
        assert!(
            link.contains("page=3&per_page=10&order=-name>; rel=\"next\""),
            "{link}"
        );
        assert!(
            link.contains("page=4&per_page=10&order=-name>; rel=\"last\""),
            "{link}"
        );
        assert_eq!(response.headers()["x-total-count"], "35");
    }
}
