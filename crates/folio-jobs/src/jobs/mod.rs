//! Folio's jobs, one file each. Each has a stable `KIND` and is idempotent (see `queue`).

mod contact_received;
pub mod images;
mod notify_subscribers;
mod publish_scheduled;
mod send_email;
mod send_notifications;

pub use contact_received::ContactReceived;
pub use images::{DeleteImage, MakeRenditions};
pub use notify_subscribers::NotifySubscribers;
pub use publish_scheduled::PublishScheduled;
pub use send_email::SendEmail;
pub use send_notifications::{BATCH_SIZE, SENDS_IN_FLIGHT, SendNotifications, enqueue_sends};

/// An email template that fails to render will fail the same way on every retry.
fn render_error(err: askama::Error) -> crate::queue::JobError {
    crate::queue::JobError::Permanent(format!("template: {err}"))
}
