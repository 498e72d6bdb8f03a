//! Token bundles in Secrets Manager (contract §4): read one, write one under the platform's
//! name and tags without ever creating a second secret for a workspace, and read the stack-wide
//! webhook signing secret (§6). A cause kept from the SDK never holds a secret value.
use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use aws_sdk_secretsmanager::Client;
use console_core::error::{Service, Unavailable};
use console_core::ids::UrlKey;
use console_core::ports::{StoredSecret, TokenVault};
use secrecy::{ExposeSecret, SecretString};

use crate::adapters::unavailable;

#[derive(Clone, Debug)]
pub struct SecretsVault {
    client: Client,
}

fn cause<E, R>(e: aws_sdk_secretsmanager::error::SdkError<E, R>) -> Unavailable
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    unavailable(Service::SecretsManager, e)
}

impl SecretsVault {
    pub fn new(client: Client) -> SecretsVault {
        SecretsVault { client }
    }
}

#[async_trait]
impl TokenVault for SecretsVault {
    /// The secret's current value; `None` when it does not exist (or is scheduled for deletion).
    async fn read(&self, id: &str) -> Result<Option<StoredSecret>, Unavailable> {
        match self.client.get_secret_value().secret_id(id).send().await {
            Ok(out) => Ok(Some(StoredSecret {
                arn: out.arn.unwrap_or_default(),
                value: SecretString::from(out.secret_string.unwrap_or_default()),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception() || s.is_invalid_request_exception()) => {
                Ok(None)
            }
            Err(e) => Err(cause(e)),
        }
    }

    /// Writes the workspace's bundle under `bgagent-linear-oauth-<slug>`: CreateSecret with the
    /// platform's tags, or PutSecretValue when it exists (restored first if it was being deleted),
    /// (`value` keeps the fields of the current value the console does not write).
    /// Returns the secret's ARN. Retrying after any failure writes the same secret again.
    async fn write_bundle(&self, slug: &UrlKey, value: &SecretString) -> Result<String, Unavailable> {
        let name = slug.secret_name();
        let tags = [
            Tag::builder().key("bgagent:integration").value("linear").build(),
            Tag::builder().key("bgagent:linear:workspace_slug").value(slug.as_str()).build(),
        ];
        let created = self
            .client
            .create_secret()
            .name(&name)
            .description(format!("Linear OAuth tokens of workspace {slug} (written by the Linear admin console)"))
            .secret_string(value.expose_secret())
            .set_tags(Some(tags.to_vec()))
            .send()
            .await;
        match created {
            Ok(out) => return Ok(out.arn.unwrap_or_default()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_exists_exception()) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_invalid_request_exception()) => {
                // Scheduled for deletion (a removal the CLI started): bring it back, then overwrite.
                self.client.restore_secret().secret_id(&name).send().await.map_err(cause)?;
            }
            Err(e) => return Err(cause(e)),
        }
        let out = self.client.put_secret_value().secret_id(&name).secret_string(value.expose_secret()).send().await.map_err(cause)?;
        let arn = out.arn.unwrap_or_default();
        // A secret the CLI made has the tags already; one made by hand may not. Not fatal.
        if let Err(e) = self.client.tag_resource().secret_id(&arn).set_tags(Some(tags.to_vec())).send().await {
            tracing::warn!(secret = %name, error = %console_core::error::chain(&cause(e)), "could not tag the token bundle");
        }
        Ok(arn)
    }

    /// Replaces the value of an existing secret (the whole bundle at once).
    async fn put_value(&self, id: &str, value: &SecretString) -> Result<(), Unavailable> {
        self.client.put_secret_value().secret_id(id).secret_string(value.expose_secret()).send().await.map_err(cause)?;
        Ok(())
    }

    /// Deletes a secret at once, without a recovery window (a removed workspace's bundle, or one
    /// a new url key superseded: a secret scheduled for deletion would block the CLI's
    /// `CreateSecret` of that name for the whole window).
    async fn delete_now(&self, id: &str) -> Result<(), Unavailable> {
        match self.client.delete_secret().secret_id(id).force_delete_without_recovery(true).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(cause(e)),
        }
    }
}
