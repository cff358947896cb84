//! The application's own PostgreSQL role: it reads and writes rows and nothing else. The
//! schema belongs to the user that runs `folio migrate` (the master user on RDS); web and
//! worker processes log in as this role, so a compromised process can't drop, alter or create
//! tables, or read other databases.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// A role name we can put into SQL unquoted-safe: lowercase letters, digits and `_`, starting
/// with a letter or `_`, at most 63 bytes (PostgreSQL's identifier limit).
pub fn valid_role_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// Creates `role` (LOGIN, no password) if missing and grants it row access to every table and
/// sequence of the current schema, now and for tables later migrations create. On RDS it is
/// also given `rds_iam`, so it logs in with IAM tokens only. Safe to run on every migrate.
pub async fn grant_app_role(db: &DatabaseConnection, role: &str) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(DbErr::Custom(
            "an application role is created for PostgreSQL only; on MySQL create the user by hand".into(),
        ));
    }
    if !valid_role_name(role) {
        return Err(DbErr::Custom(format!(
            "{role:?} is not a valid role name: lowercase letters, digits and _, at most 63"
        )));
    }
    for statement in grants(role) {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// `role` has passed [`valid_role_name`], so it is safe inside quotes as an identifier and as
/// a string literal.
fn grants(role: &str) -> Vec<String> {
    let name = format!("'{role}'");
    let role = format!("\"{role}\"");
    vec![
        format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN \
             CREATE ROLE {role} LOGIN; END IF; END $$",
        ),
        // On RDS, membership in rds_iam makes the role log in with IAM tokens (and only them).
        format!(
            "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN \
             EXECUTE 'GRANT rds_iam TO ' || quote_ident({name}); END IF; END $$",
        ),
        format!(
            "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), {name}); END $$",
        ),
        // PostgreSQL before 15 lets every role create objects in `public`: not this one.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_owned(),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        // Tables and sequences the migrating user creates later get the same grants.
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
        ),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"),
    ]
}

/// Whether `role` exists (for tests and `folio check`).
pub async fn role_exists(db: &DatabaseConnection, role: &str) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS found FROM pg_roles WHERE rolname = $1",
            [role.into()],
        ))
        .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_role_names_are_accepted() {
        for good in ["folio_app", "_x", "app2"] {
            assert!(valid_role_name(good), "{good}");
        }
        for bad in [
            "",
            "Folio",
            "2app",
            "app-x",
            "a\"; DROP TABLE users; --",
            &"a".repeat(64),
        ] {
            assert!(!valid_role_name(bad), "{bad}");
        }
    }
}
