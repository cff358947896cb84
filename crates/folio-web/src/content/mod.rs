//! Content rules shared by the admin panel (which writes content) and the public site (which
//! shows it): the Markdown renderer and slugs.

pub mod markdown;
pub mod slug;
