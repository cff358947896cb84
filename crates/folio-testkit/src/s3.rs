//! An S3-compatible server inside the test process (s3s over a temporary directory), so the S3
//! backend is tested on every run, without Docker or a network.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use folio_storage::store::{Storage, StorageSettings};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

const BUCKET: &str = "folio-test";
/// What the server's clients sign with; s3s accepts any region.
const REGION: &str = "us-east-1";

/// A running S3 server on a random loopback port with one bucket, checking request signatures
/// (headers and presigned URLs) against its own random keys. It stops when dropped.
pub struct S3Server {
    addr: SocketAddr,
    access_key: String,
    secret_key: String,
    root: tempfile::TempDir,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let access_key = format!("FOLIOTEST{}", uuid::Uuid::new_v4().simple()).to_uppercase();
        let secret_key = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let service = service(root.path(), &access_key, &secret_key);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept_loop = tokio::spawn(serve(listener, service));
        eprintln!("S3 test server (s3s-fs 0.14, signatures checked) at http://{addr} bucket {BUCKET}");
        S3Server {
            addr,
            access_key,
            secret_key,
            root,
            accept_loop,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn bucket(&self) -> &str {
        BUCKET
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The bucket's directory: each object is the file at its full key (prefix included).
    pub fn bucket_dir(&self) -> PathBuf {
        self.root.path().join(BUCKET)
    }

    /// `s3://folio-test/PREFIX?region=us-east-1&endpoint=http://127.0.0.1:PORT`; an empty
    /// `prefix` means the bucket's root.
    pub fn storage_url(&self, prefix: &str) -> String {
        let prefix = prefix.trim_matches('/');
        let endpoint = self.endpoint();
        format!("s3://{BUCKET}/{prefix}?region={REGION}&endpoint={endpoint}")
    }

    /// Settings for [`S3Server::storage_url`], presigning for an hour, without a CDN.
    pub fn settings(&self, prefix: &str) -> StorageSettings {
        StorageSettings {
            url: self.storage_url(prefix),
            media_base_url: None,
            presign_expiry: Duration::from_secs(3600),
        }
    }

    /// A [`Storage`] on this server with its keys.
    pub fn storage(&self, settings: &StorageSettings) -> Storage {
        Storage::from_settings_with_credentials(settings, &self.access_key, &self.secret_key)
            .expect("the test server's settings should be valid")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

fn service(root: &Path, access_key: &str, secret_key: &str) -> S3Service {
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
    builder.build()
}

async fn serve(listener: TcpListener, service: S3Service) {
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let connection = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
