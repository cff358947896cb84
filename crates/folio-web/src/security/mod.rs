//! Passwords, random tokens, CSRF, client addresses, rate limits and the security headers every
//! response carries.

pub mod client;
pub mod csrf;
pub mod headers;
pub mod nul;
pub mod password;
pub mod quotas;
pub mod rate_limit;
pub mod token_cache;
pub mod tokens;
