//! A minimal SMTP sink: accepts every message over plain SMTP and keeps it in memory, so the
//! real SMTP transport can be tested without a mail server on the machine.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, store).await;
                });
            }
        });
        Self { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    /// How many messages have arrived (without copying them).
    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }
}

async fn serve(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let command = line.to_ascii_uppercase();
        if command.starts_with("EHLO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if command.starts_with("DATA") {
            write.write_all(b"354 end with .\r\n").await?;
            let mut message = String::new();
            let mut ended = false;
            while let Some(data) = lines.next_line().await? {
                if data == "." {
                    ended = true;
                    break;
                }
                message.push_str(data.strip_prefix('.').unwrap_or(&data));
                message.push_str("\r\n");
            }
            // A client gone before the final "." sent no message: a real server discards what
            // it got (a worker killed mid-send left a headless fragment counted as a mail).
            if !ended {
                return Ok(());
            }
            store.lock().unwrap().push(message);
            write.write_all(b"250 queued\r\n").await?;
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            break;
        } else {
            // HELO, MAIL FROM, RCPT TO, RSET, NOOP: all accepted.
            write.write_all(b"250 ok\r\n").await?;
        }
    }
    Ok(())
}
