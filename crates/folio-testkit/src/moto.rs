//! A local AWS API emulator for the SES v2 transport: moto's server mode (PyPI `moto[server]`),
//! started as a child process on a free loopback port. It records every message it is sent,
//! so tests read back exactly what SES would have received.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The keys the tests sign with; moto accepts any.
pub const MOTO_ACCESS_KEY: &str = "testing";
pub const MOTO_SECRET_KEY: &str = "testing";

/// One moto server; stopped when dropped.
pub struct MotoServer {
    pub port: u16,
    child: Child,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MotoServer {
    /// Starts `moto_server`, or returns `None` (after saying SKIPPED) when it is not installed
    /// outside CI. In CI a missing emulator fails the test.
    pub async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(err) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI needs moto_server (pip install 'moto[server]'): {err}"
                );
                eprintln!("SKIPPED: moto_server is not installed (pip install 'moto[server]')");
                return None;
            }
        };
        let server = Self { port, child };
        server.wait_until_up().await;
        Some(server)
    }

    async fn wait_until_up(&self) {
        let client = reqwest::Client::new();
        for _ in 0..150 {
            if client.get(self.url("/moto-api/data.json")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on port {}", self.port);
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint())
    }

    /// A SES v2 call the transport does not make (setting up identities, configuration sets).
    pub async fn sesv2(&self, path: &str, body: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.url(path))
            // moto reads the region and service from the credential scope; the signature itself
            // is not checked.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0",
            )
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
    }

    /// Every raw message sent through SES so far: (source, destinations, raw MIME text).
    pub async fn sent_raw_messages(&self) -> Vec<(String, Vec<String>, String)> {
        let body = reqwest::get(self.url("/moto-api/data.json"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let data: serde_json::Value = serde_json::from_slice(&body).unwrap();
        data["ses"]["RawMessage"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                let text = |key: &str| message[key].as_str().unwrap_or_default().to_owned();
                let destinations = message["destinations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d.as_str().map(str::to_owned))
                    .collect();
                (text("source"), destinations, text("raw_data"))
            })
            .collect()
    }
}
