//! Sends one prepared email (password reset, subscription confirmation). At least once: if
//! the worker dies between the server's acceptance and the row's deletion, the mail is sent
//! again, which is harmless for these messages.

use serde::{Deserialize, Serialize};

use crate::context::JobContext;
use crate::mailer::{Email, MailError};
use crate::queue::{Job, JobError};

#[derive(Debug, Serialize, Deserialize)]
pub struct SendEmail {
    pub email: Email,
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";

    /// Nothing is sent to a suppressed address (a password reset included); the job is done.
    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        if ctx
            .suppression(&self.email.to, &self.email.subject)
            .await?
            .is_some()
        {
            return Ok(());
        }
        ctx.mailer.send(&self.email).await.map_err(delivery_error)
    }
}

/// A refused address or a malformed message won't get better; anything else might.
pub(crate) fn delivery_error(err: MailError) -> JobError {
    match &err {
        MailError::InvalidAddress { .. } | MailError::Build(_) => JobError::Permanent(err.to_string()),
        MailError::Smtp(smtp) if smtp.is_permanent() => JobError::Permanent(err.to_string()),
        MailError::Ses { transient: false, .. } => JobError::Permanent(err.to_string()),
        _ => JobError::Retry(err.to_string()),
    }
}
