//! The "ceiling" for bench/notes.sh: the fastest a request that needs one PostgreSQL round
//! trip can be served on this machine with the same stack (tokio, hyper via axum 0.8, sqlx's
//! PgPool), without anything Folio adds on top (sessions, CSRF, templates, middleware).
//! Comparing Folio's numbers with this one tells how much of the cost is the app itself.
//!
//! It creates a one-row table of its own (`pg_ceiling_item`) and answers `GET /item/` with a
//! select of that row by primary key.
//!
//! Usage:
//!   cargo run --release -p folio-web --example pg_ceiling -- DATABASE_URL [LISTEN_ADDR]
//! or with PG_CEILING_DATABASE_URL / PG_CEILING_LISTEN in the environment.
//! The pool size follows PG_CEILING_MAX_CONNECTIONS (default 4, Folio's default pool size).

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use sea_orm_migration::sea_orm::sqlx::postgres::{PgPool, PgPoolOptions};

/// A setting: the positional argument at `position`, else the variable, else the default.
fn setting(position: usize, variable: &str, default: Option<&str>) -> anyhow::Result<String> {
    std::env::args()
        .nth(position)
        .or_else(|| std::env::var(variable).ok())
        .or_else(|| default.map(str::to_owned))
        .with_context(|| format!("give argument {position} or set {variable}"))
}

async fn item(State(pool): State<PgPool>) -> Result<String, StatusCode> {
    let row: (i64, String) =
        sea_orm_migration::sea_orm::sqlx::query_as("SELECT id, name FROM pg_ceiling_item WHERE id = $1")
            .bind(1_i64)
            .fetch_one(&pool)
            .await
            .map_err(|err| {
                eprintln!("pg_ceiling: query failed: {err}");
                StatusCode::INTERNAL_SERVER_ERROR
            })?;
    Ok(format!("{} {}\n", row.0, row.1))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let database_url = setting(1, "PG_CEILING_DATABASE_URL", None)?;
    let listen: SocketAddr = setting(2, "PG_CEILING_LISTEN", Some("127.0.0.1:8399"))?
        .parse()
        .context("listen address")?;
    let max_connections: u32 = std::env::var("PG_CEILING_MAX_CONNECTIONS")
        .ok()
        .map(|value| value.parse())
        .transpose()
        .context("PG_CEILING_MAX_CONNECTIONS")?
        .unwrap_or(4);

    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect(&database_url)
        .await
        .context("connecting to PostgreSQL")?;
    sea_orm_migration::sea_orm::sqlx::query(
        "CREATE TABLE IF NOT EXISTS pg_ceiling_item (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .context("creating the table")?;
    sea_orm_migration::sea_orm::sqlx::query(
        "INSERT INTO pg_ceiling_item (id, name) VALUES (1, 'ceiling') ON CONFLICT (id) DO NOTHING",
    )
    .execute(&pool)
    .await
    .context("inserting the row")?;

    let app = Router::new().route("/item/", get(item)).with_state(pool);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    println!("pg_ceiling listening on http://{listen}/item/");
    axum::serve(listener, app).await.context("server error")?;
    Ok(())
}
