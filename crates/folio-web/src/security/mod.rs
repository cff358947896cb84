//! Passwords, random tokens, CSRF and the security headers every response carries.

pub mod csrf;
pub mod headers;
pub mod password;
pub mod tokens;
