//! Structured logs: human-readable on a terminal, JSON lines otherwise (what CloudWatch ingests).

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

pub fn init(config: &LogConfig) -> Result<(), String> {
    let filter = EnvFilter::try_new(&config.filter).map_err(|err| format!("FOLIO_LOG: {err}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if config.json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            // Every enclosing span, so a handler's line carries its request's id (the innermost
            // span is often a middleware's, such as the session layer's `call`).
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
    result.map_err(|err| format!("could not start logging: {err}"))
}
