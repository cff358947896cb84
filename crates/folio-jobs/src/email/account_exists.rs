//! Sent to an account's address when someone signs up with it in privacy mode
//! (folio-web's `accounts::signup`). The page answers as for a new account, so that it tells
//! nobody which addresses have accounts; this email tells the one person who may ask.

use crate::mailer::Email;

super::email! {
    /// "You already have an account": where to sign in, and where to reset the password.
    AccountExists {
        /// Absolute: the sign-in page on the base URL.
        sign_in,
        /// Absolute: the forgot-password page on the base URL.
        forgot_password,
    }
    subject: "email/templates/account_exists/subject.txt",
    text: "email/templates/account_exists/body.txt",
    html: "email/templates/account_exists/body.html",
}

impl AccountExists<'_> {
    pub fn render(&self, to: &str) -> askama::Result<Email> {
        Ok(self.parts()?.to(to))
    }
}
