//! Sessions: our own tower-sessions store on the database with an in-process cache in front,
//! the signed-in user, and flash messages.

pub mod auth;
pub mod flash;
mod redis_sessions;
pub mod store;

pub use auth::{RequestContext, SessionUser, SignedIn};
pub use flash::Flash;
pub use store::Sessions;
