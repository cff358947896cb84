//! The public site: categories and items, the feed, the contact form and subscriptions.

pub mod cache;
pub mod views;

pub use cache::SiteCache;
pub use views::ViewCounter;
