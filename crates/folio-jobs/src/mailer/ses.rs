//! The SES v2 API transport. Messages are built by lettre exactly as for SMTP and sent raw, so
//! every header (List-Unsubscribe, List-Unsubscribe-Post, the multipart layout) is the same
//! whichever transport carries them.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::Credentials;
use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage, VerificationStatus};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use lettre::Message;

use super::{MailError, SesSettings};

#[derive(Clone)]
pub(super) struct SesTransport {
    client: Client,
    settings: SesSettings,
}

impl std::fmt::Debug for SesTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ses:{}", self.settings.region)
    }
}

impl SesTransport {
    /// Loads the AWS configuration: region from the URL, credentials from the standard chain
    /// unless `keys` (access key, secret) are given. Nothing is contacted yet: credentials are
    /// fetched on the first call.
    pub(super) async fn connect(settings: SesSettings, keys: Option<(&str, &str)>) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .http_client(http);
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some((access_key, secret_key)) = keys {
            loader =
                loader.credentials_provider(Credentials::new(access_key, secret_key, None, None, "folio"));
        }
        let client = Client::new(&loader.load().await);
        Self { client, settings }
    }

    /// Sends one built message to `to`; returns SES's message id.
    pub(super) async fn send(&self, to: &str, message: &Message) -> Result<String, MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(message.formatted()))
            .build()
            .map_err(|err| permanent(err.to_string()))?;
        let from = message
            .envelope()
            .from()
            .map(ToString::to_string)
            .ok_or_else(|| permanent("the message has no sender".into()))?;
        let sent = self
            .client
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.settings.configuration_set.clone())
            .send()
            .await
            .map_err(send_error)?;
        Ok(sent.message_id().unwrap_or_default().to_owned())
    }

    /// The sender's identity is verified for sending, and the configuration set exists.
    pub(super) async fn check(&self, from_domain: &str) -> Result<(), MailError> {
        let identity = self
            .client
            .get_email_identity()
            .email_identity(from_domain)
            .send()
            .await
            .map_err(|err| check_error(&format!("identity {from_domain}"), err))?;
        if identity.verification_status() != Some(&VerificationStatus::Success) {
            return Err(permanent(format!(
                "the identity {from_domain} is not verified for sending"
            )));
        }
        if let Some(name) = &self.settings.configuration_set
            && !self.configuration_set_exists(name).await?
        {
            return Err(permanent(format!("the configuration set {name} does not exist")));
        }
        Ok(())
    }

    /// A 2xx answer to `GetConfigurationSet` is proof enough: the body is not needed, and
    /// moto's emulator answers with one the SDK can't read (`SendingEnabled: {}`).
    async fn configuration_set_exists(&self, name: &str) -> Result<bool, MailError> {
        match self
            .client
            .get_configuration_set()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(service)) if service.raw().status().is_success() => Ok(true),
            Err(SdkError::ServiceError(service)) if service.err().is_not_found_exception() => Ok(false),
            Err(err) => Err(check_error(&format!("configuration set {name}"), err)),
        }
    }
}

fn permanent(message: String) -> MailError {
    MailError::Ses {
        message,
        transient: false,
    }
}

fn check_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    what: &str,
    err: SdkError<E>,
) -> MailError {
    let detail = match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            format!(
                "{} {}: {}",
                service.raw().status().as_u16(),
                inner.code().unwrap_or("error"),
                inner.message().unwrap_or("")
            )
        }
        other => DisplayErrorContext(other).to_string(),
    };
    MailError::Ses {
        message: format!("{what}: {detail}"),
        transient: true,
    }
}

/// Rejections of this message are permanent; throttling, quotas, a paused account and network
/// trouble are worth trying again later.
fn send_error(err: SdkError<SendEmailError>) -> MailError {
    let (message, transient) = match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let transient = !matches!(
                inner,
                SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_)
            );
            let message = format!(
                "{}: {}",
                inner.code().unwrap_or("error"),
                inner.message().unwrap_or("")
            );
            (message, transient)
        }
        SdkError::ConstructionFailure(_) => (DisplayErrorContext(&err).to_string(), false),
        other => (DisplayErrorContext(other).to_string(), true),
    };
    MailError::Ses { message, transient }
}
