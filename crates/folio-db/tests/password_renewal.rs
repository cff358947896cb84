//! A pool's password can change under it (an IAM token renewed every ten minutes, a rotated
//! secret): new connections log in with the new one, open ones carry on. Run against MariaDB,
//! whose loopback logins check passwords (the test PostgreSQL trusts loopback).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_db::{DatabaseAuth, connect_with, replace_password};
use sea_orm::{ConnectionTrait, Database};

#[tokio::test]
async fn new_connections_use_the_replaced_password() {
    let Some(admin_url) = std::env::var("FOLIO_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must set FOLIO_TEST_MYSQL_URL"
        );
        eprintln!("SKIPPED: FOLIO_TEST_MYSQL_URL is not set");
        return;
    };
    let user = format!("folio_pw_{}", std::process::id());
    let admin = Database::connect(&admin_url).await.unwrap();
    let run = |sql: String| {
        let admin = admin.clone();
        async move { admin.execute_unprepared(&sql).await.unwrap() }
    };
    run(format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    run(format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'first-password'")).await;
    let database = url::Url::parse(&admin_url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    run(format!("GRANT SELECT ON `{database}`.* TO '{user}'@'%'")).await;

    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_username(&user).unwrap();
    url.set_password(None).unwrap();
    let url = url.to_string();

    let wrong = connect_with(&url, 2, &DatabaseAuth::Password("wrong".into())).await;
    assert!(wrong.is_err(), "the server checks passwords");
    let db = connect_with(&url, 2, &DatabaseAuth::Password("first-password".into()))
        .await
        .unwrap();
    let first = db.get_mysql_connection_pool().acquire().await.unwrap();

    // Rotated on the server, then in the pool: a second connection (the first is held) opens
    // with the new password.
    run(format!("ALTER USER '{user}'@'%' IDENTIFIED BY 'second-password'")).await;
    replace_password(&db, "second-password");
    let second = db.get_mysql_connection_pool().acquire().await;
    assert!(
        second.is_ok(),
        "a new connection logs in with the replaced password: {:?}",
        second.err()
    );
    drop((first, second));

    db.close().await.unwrap();
    let stale = connect_with(&url, 1, &DatabaseAuth::Password("first-password".into())).await;
    assert!(stale.is_err(), "the old password no longer logs in");

    run(format!("DROP USER '{user}'@'%'")).await;
}
