//! A Redis server of a test's own (Debian's `redis-server`), for tests that stop and restart
//! it. It appends every write to its log before answering, so what was stored survives a
//! restart, as on a replicated ElastiCache that fails over.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Mutex<Option<Child>>,
}

impl RedisServer {
    /// Starts one on a free port, or returns `None` (after saying why) when `redis-server` is
    /// not installed; with `CI=true` that fails instead.
    pub fn start() -> Option<Self> {
        if Command::new("redis-server").arg("--version").output().is_err() {
            return crate::skip_unless_ci("Redis", "redis-server is not installed");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: Mutex::new(None),
        };
        server.resume();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: an outage, not a shutdown).
    pub fn kill(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts the server again on the same port and data, and waits until it answers.
    pub fn resume(&self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server should start");
        *self.child.lock().unwrap() = Some(child);
        let started = Instant::now();
        while !self.answers() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
