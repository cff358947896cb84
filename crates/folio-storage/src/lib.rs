//! Folio's media: where objects are kept ([`store`]) and how uploaded images are checked and
//! turned into renditions ([`images`]).
//!
//! Nothing here knows about HTTP or the database: the web layer streams an upload into bytes and
//! calls [`images::clean_upload`]; the thumbnail job calls [`images::make_renditions`] and writes
//! what it returns through [`store::Storage`].

pub mod images;
pub mod media;
pub mod store;

pub use images::{
    CleanImage, ImageError, ImageFormat, Limits, Rendition, RenditionKind, SizeLimit, clean_upload,
    make_renditions,
};
pub use store::{ConfigError, Key, ObjectInfo, Storage, StorageError, StorageSettings, StoredObject};
