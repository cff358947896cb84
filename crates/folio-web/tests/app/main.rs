//! Folio's HTTP tests: every rule of the notes spec, driven through the public interface, on
//! each backend (see folio-testkit for how backends are chosen).

mod accounts;
mod notes;
mod ops;
mod pads;
mod reset;
mod security;
