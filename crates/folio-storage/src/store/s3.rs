use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AwsCredential};
use object_store::path::Path;
use object_store::signer::{Method, Signer};
use object_store::{ObjectStore, StaticCredentialProvider};

use super::error::ConfigError;
use super::settings::S3Target;

/// Keys given explicitly instead of through the AWS environment chain.
#[derive(Clone, Copy)]
pub(crate) struct StaticKeys<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
}

/// The concrete client is kept next to the `dyn ObjectStore` because presigning is only on
/// `AmazonS3`.
pub(crate) struct S3Backend {
    pub client: Arc<AmazonS3>,
    pub media_base: Option<String>,
    pub presign_expiry: Duration,
}

impl S3Backend {
    pub(crate) fn store(&self) -> Arc<dyn ObjectStore> {
        self.client.clone()
    }

    pub(crate) async fn presigned_get(&self, location: &Path) -> object_store::Result<String> {
        let url = self
            .client
            .signed_url(Method::GET, location, self.presign_expiry)
            .await?;
        Ok(url.into())
    }
}

/// Starts from the environment so the usual AWS chain applies (static keys, session token,
/// web identity, ECS task role, IMDS; region and endpoint), then lets the URL win.
pub(crate) fn client(target: &S3Target, keys: Option<StaticKeys<'_>>) -> Result<AmazonS3, ConfigError> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&target.bucket);
    if let Some(region) = &target.region {
        builder = builder.with_region(region);
    }
    if let Some(endpoint) = &target.endpoint {
        builder = builder
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_allow_http(endpoint.scheme() == "http")
            // S3-compatible servers on a plain host name can't serve bucket sub-domains.
            .with_virtual_hosted_style_request(false);
    }
    if let Some(keys) = keys {
        // A credential provider outranks every key or token the environment may hold, so a
        // stray AWS_SESSION_TOKEN can't be mixed into these keys.
        let credential = AwsCredential {
            key_id: keys.access_key.to_owned(),
            secret_key: keys.secret_key.to_owned(),
            token: None,
        };
        builder = builder.with_credentials(Arc::new(StaticCredentialProvider::new(credential)));
    }
    builder.build().map_err(ConfigError::Backend)
}
