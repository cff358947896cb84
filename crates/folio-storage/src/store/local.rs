use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

use super::error::ConfigError;
use super::key::Key;

/// A directory of files, one per key. The directory is created if missing.
pub(crate) fn open(root: &Path) -> Result<Arc<dyn ObjectStore>, ConfigError> {
    let dir_error = |source| ConfigError::LocalDirectory {
        path: root.to_owned(),
        source,
    };
    std::fs::create_dir_all(root).map_err(dir_error)?;
    let store = LocalFileSystem::new_with_prefix(root).map_err(ConfigError::Backend)?;
    // Deleting an image's last file also removes its now empty `images/{uuid}/` directory.
    Ok(Arc::new(store.with_automatic_cleanup(true)))
}

/// LocalFileSystem keeps no object attributes, so the type comes from the key, whose
/// extension Folio chose from the image format it wrote.
pub(crate) fn content_type_for(key: &Key) -> &'static str {
    match key.extension().as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_follows_the_extension() {
        let ct = |s: &str| Key::parse(s).map(|k| content_type_for(&k)).ok();
        assert_eq!(ct("a/original.jpg"), Some("image/jpeg"));
        assert_eq!(ct("a/original.JPEG"), Some("image/jpeg"));
        assert_eq!(ct("a/w640.webp"), Some("image/webp"));
        assert_eq!(ct("a/x.png"), Some("image/png"));
        assert_eq!(ct("a/x.gif"), Some("image/gif"));
        assert_eq!(ct("a/x.svg"), Some("application/octet-stream"));
        assert_eq!(ct("a/noext"), Some("application/octet-stream"));
    }
}
