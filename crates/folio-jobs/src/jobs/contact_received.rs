//! Tells every active staff member about a message sent through the contact form. At least
//! once: a retry after a crash may repeat the mail to some staff, which is acceptable here.

use askama::Template;
use folio_db::entities::contact_message;
use folio_db::queries::{contact_messages, users};
use serde::{Deserialize, Serialize};

use super::send_email::delivery_error;
use crate::context::JobContext;
use crate::mailer::Email;
use crate::queue::{Job, JobError};

#[derive(Debug, Serialize, Deserialize)]
pub struct ContactReceived {
    pub message_id: i64,
}

#[derive(Template)]
#[template(path = "jobs/templates/contact.txt")]
struct ContactText<'a> {
    message: &'a contact_message::Model,
    admin_url: &'a str,
}

#[derive(Template)]
#[template(path = "jobs/templates/contact.html")]
struct ContactHtml<'a> {
    message: &'a contact_message::Model,
    admin_url: &'a str,
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
        let admin_url = format!("{}/admin/contact-messages/{}/", ctx.base_url, message.id);
        let render_error = |err: askama::Error| JobError::Permanent(format!("template: {err}"));
        let text = ContactText {
            message: &message,
            admin_url: &admin_url,
        }
        .render()
        .map_err(render_error)?;
        let html = ContactHtml {
            message: &message,
            admin_url: &admin_url,
        }
        .render()
        .map_err(render_error)?;
        for member in staff {
            let email = Email {
                to: member.email,
                subject: format!("Contact form: {}", message.subject),
                text: text.clone(),
                html: html.clone(),
                list_unsubscribe: None,
                // Staff answer the visitor with their mail client's Reply.
                reply_to: Some(message.email.clone()),
            };
            if ctx.suppression(&email.to, &email.subject).await?.is_none() {
                ctx.mailer.send(&email).await.map_err(delivery_error)?;
            }
        }
        Ok(())
    }
}
