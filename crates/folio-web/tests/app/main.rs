//! Folio's HTTP tests: every rule of the notes spec, driven through the public interface, on
//! each backend (see folio-testkit for how backends are chosen).

// Test helpers may panic: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod admin_people;
mod api;
mod concurrency;
mod concurrency_admin;
mod connections;
mod contact;
mod instances;
mod limits;
mod media;
mod notes;
mod ops;
mod pads;
mod quotas;
mod reset;
mod scheduled;
mod security;
mod ses_hook;
mod sessions;
mod site;
mod subscriptions;
mod web_app;
