//! Tells every active staff member about a message sent through the contact form. At least
//! once: a retry after a crash may repeat the mail to some staff, which is acceptable here.

use folio_db::queries::{contact_messages, users};
use serde::{Deserialize, Serialize};

use super::render_error;
use super::send_email::delivery_error;
use crate::context::JobContext;
use crate::email;
use crate::queue::{Job, JobError};
use crate::site_urls;

#[derive(Debug, Serialize, Deserialize)]
pub struct ContactReceived {
    pub message_id: i64,
}

impl Job for ContactReceived {
    const KIND: &'static str = "contact_received";

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let Some(message) = contact_messages::find(&ctx.db, self.message_id).await? else {
            return Ok(()); // deleted by staff before we got to it
        };
        let staff = users::active_staff(&ctx.db).await?;
        if staff.is_empty() {
            tracing::warn!(
                message = message.id,
                "contact message stored, but there is no staff to tell"
            );
            return Ok(());
        }
        let admin_url = site_urls::absolute(&ctx.base_url, &site_urls::contact_message_admin(message.id));
        let contents = email::ContactReceived {
            name: &message.name,
            email: &message.email,
            subject: &message.subject,
            message: &message.message,
            admin_url: &admin_url,
        };
        for member in staff {
            let email = contents.render(&member.email).map_err(render_error)?;
            if ctx.suppression(&email.to, &email.subject).await?.is_none() {
                ctx.mailer.send(&email).await.map_err(delivery_error)?;
            }
        }
        Ok(())
    }
}
