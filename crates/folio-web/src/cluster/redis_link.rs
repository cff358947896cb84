//! The Redis side of [`super::Cluster`]: one multiplexed connection (redis-rs's
//! `ConnectionManager`, which reconnects by itself) for commands, and one subscription to the
//! deployment's event channel, with the heartbeat that tells whether it is alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Event, HEARTBEAT_EVERY, Listener, STALE_AFTER};

/// The most a command may take before it counts as failed: a page waits at most this long on a
/// Redis that stopped answering.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// The pause between attempts to subscribe again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(100);
/// At most one warning per this period while Redis stays unreachable.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// How connections log in.
#[derive(Clone)]
pub(super) enum Login {
    /// As the URL says (with its password, or none).
    Url,
    /// With ElastiCache IAM tokens (see `iam.rs`).
    #[cfg(feature = "aws")]
    Iam(Arc<folio_db::iam_auth::CacheTokenSigner>),
}

impl Login {
    /// `Iam` when the URL asks for it (`aws` builds), else `Url`.
    pub(super) async fn for_url(url: &str) -> anyhow::Result<Self> {
        #[cfg(feature = "aws")]
        if let Some(signer) = super::iam::signer_for(url).await? {
            return Ok(Self::Iam(signer));
        }
        let _ = url;
        Ok(Self::Url)
    }

    fn configure(&self, config: ConnectionManagerConfig) -> ConnectionManagerConfig {
        match self {
            Self::Url => config,
            #[cfg(feature = "aws")]
            Self::Iam(signer) => config.set_credentials_provider(super::iam::IamCredentials(signer.clone())),
        }
    }

    /// The client a new subscription connects with.
    async fn subscription_client(
        &self,
        url: &str,
        client: &redis::Client,
    ) -> redis::RedisResult<redis::Client> {
        match self {
            Self::Url => {
                let _ = url;
                Ok(client.clone())
            }
            #[cfg(feature = "aws")]
            Self::Iam(signer) => super::iam::client_with_token(url, signer).await,
        }
    }
}

/// A connection to the deployment's Redis. Cheap to share (`Arc`); its background tasks stop
/// when it is dropped.
pub struct RedisLink {
    manager: ConnectionManager,
    prefix: String,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// What the background tasks and the link share.
struct Shared {
    channel: String,
    /// This instance's name on the channel, to recognise its own heartbeat.
    instance: String,
    started: Instant,
    /// When this instance last heard its own heartbeat, in ms since `started` (0: never).
    last_heard_ms: AtomicU64,
    /// When the last "unreachable" warning was logged, in ms since `started` (0: never).
    last_warned_ms: AtomicU64,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn hearing_itself(&self) -> bool {
        let last = self.last_heard_ms.load(Ordering::Acquire);
        last != 0 && self.now_ms().saturating_sub(last) <= millis(STALE_AFTER)
    }

    /// Logs `what` unless a warning was logged within [`WARN_EVERY`].
    fn warn_unreachable(&self, what: &str, err: &dyn std::fmt::Display) {
        let now = self.now_ms();
        let last = self.last_warned_ms.load(Ordering::Relaxed);
        if last == 0 || now.saturating_sub(last) >= millis(WARN_EVERY) {
            self.last_warned_ms.store(now, Ordering::Relaxed);
            tracing::warn!(error = %err, "Redis: {what}");
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RedisLink {
    /// Opens the link (lazily: nothing waits for Redis here) and starts the subscription and
    /// heartbeat tasks. Events from other instances go to `deliver`.
    pub(super) fn open(
        url: &str,
        prefix: &str,
        login: Login,
        deliver: Listener,
    ) -> anyhow::Result<Arc<Self>> {
        if url.starts_with("rediss://") {
            // redis-rs builds its TLS configuration with the process's default rustls provider;
            // the binary links two (ring, and aws-lc-rs through the AWS SDK), so name one.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = redis::Client::open(url).map_err(|err| anyhow::anyhow!("FOLIO_CACHE_URL: {err}"))?;
        let config = login
            .configure(ConnectionManagerConfig::new())
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|err| anyhow::anyhow!("FOLIO_CACHE_URL: {err}"))?;
        let subscriber = Subscriber {
            url: url.to_owned(),
            client,
            login,
        };
        let shared = Arc::new(Shared {
            channel: format!("{prefix}:events"),
            instance: crate::security::tokens::random_token(),
            started: Instant::now(),
            last_heard_ms: AtomicU64::new(0),
            last_warned_ms: AtomicU64::new(0),
        });
        let tasks = vec![
            tokio::spawn(subscribe_forever(subscriber, shared.clone(), deliver)),
            tokio::spawn(beat_forever(manager.clone(), shared.clone())),
        ];
        Ok(Arc::new(Self {
            manager,
            prefix: prefix.to_owned(),
            shared,
            tasks,
        }))
    }

    /// `prefix:rest`: every key this deployment uses is under its prefix.
    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    /// A handle for commands (cheap to clone; reconnects by itself).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    pub(super) fn hearing_itself(&self) -> bool {
        self.shared.hearing_itself()
    }

    pub(super) async fn publish(&self, event: &Event) {
        let Some(message) = event.encode() else {
            return;
        };
        let mut connection = self.connection();
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&self.shared.channel)
            .arg(message)
            .query_async(&mut connection)
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, ?event, "Redis: could not announce a change to the other instances");
        }
    }

    pub(super) async fn ping(&self) -> redis::RedisResult<()> {
        let mut connection = self.connection();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(drop)
    }
}

impl Drop for RedisLink {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Publishes this instance's heartbeat every [`HEARTBEAT_EVERY`].
async fn beat_forever(mut connection: ConnectionManager, shared: Arc<Shared>) {
    let beat = format!("beat {}", shared.instance);
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&shared.channel)
            .arg(&beat)
            .query_async(&mut connection)
            .await;
        if let Err(err) = sent {
            shared.warn_unreachable(
                "cannot publish the heartbeat (in-process caches are bypassed)",
                &err,
            );
        }
    }
}

/// What the subscription task connects with.
struct Subscriber {
    url: String,
    client: redis::Client,
    login: Login,
}

/// Keeps a subscription to the event channel, forever: subscribes, hands every event to
/// `deliver`, and starts again when the connection ends or falls silent.
async fn subscribe_forever(subscriber: Subscriber, shared: Arc<Shared>, deliver: Listener) {
    loop {
        let subscribed = match subscriber
            .login
            .subscription_client(&subscriber.url, &subscriber.client)
            .await
        {
            Ok(client) => listen_once(&client, &shared, &deliver).await,
            Err(err) => Err(err),
        };
        match subscribed {
            Ok(()) => {
                shared.warn_unreachable("the event subscription went quiet; subscribing again", &"silence")
            }
            Err(err) => shared.warn_unreachable("cannot subscribe to the event channel", &err),
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

/// One subscription, until it ends or no message (not even this instance's own heartbeat)
/// arrives for [`STALE_AFTER`].
async fn listen_once(client: &redis::Client, shared: &Shared, deliver: &Listener) -> redis::RedisResult<()> {
    let mut pubsub = tokio::time::timeout(COMMAND_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| timed_out("connecting"))??;
    tokio::time::timeout(COMMAND_TIMEOUT, pubsub.subscribe(&shared.channel))
        .await
        .map_err(|_| timed_out("subscribing"))??;
    let mut messages = pubsub.into_on_message();
    while let Ok(Some(message)) = tokio::time::timeout(STALE_AFTER, messages.next()).await {
        let Ok(text) = message.get_payload::<String>() else {
            continue;
        };
        receive(&text, shared, deliver);
    }
    Ok(())
}

fn timed_out(what: &'static str) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "timed out", what.to_owned()))
}

/// Acts on one message from the channel.
fn receive(text: &str, shared: &Shared, deliver: &Listener) {
    if let Some(instance) = text.strip_prefix("beat ") {
        if instance == shared.instance {
            if !shared.hearing_itself() {
                // Back after silence (or the first beat): whatever was announced meanwhile is
                // lost, so every in-process copy goes before they are trusted again.
                deliver(&Event::Resync);
                tracing::info!("Redis: event channel live; in-process caches in use");
            }
            shared.last_heard_ms.store(shared.now_ms(), Ordering::Release);
        }
        return;
    }
    match Event::decode(text) {
        Some(event) => deliver(&event),
        None => tracing::warn!(message = text, "Redis: unknown message on the event channel"),
    }
}
