//! A member's second factor in Cognito: software-token (TOTP) enrolment with the member's own
//! access token (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference), and whether an
//! account has it (AdminGetUser). The enrolment secret is shown to the member once, on their page.
use aws_sdk_cognitoidentityprovider::types::SoftwareTokenMfaSettingsType;
use aws_sdk_cognitoidentityprovider::Client;
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Debug)]
pub struct Mfa {
    client: Client,
    pool_id: String,
    /// Whether the pool lets Cognito's software-token MFA take, read once.
    pool_takes_tokens: std::sync::Arc<tokio::sync::OnceCell<bool>>,
}

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("the code does not match the authenticator's")]
    WrongCode,
    /// The access token of the sign-in has expired (an hour) or was revoked: sign in again.
    #[error("the enrolment has expired")]
    Expired,
    #[error("Cognito: {0}")]
    Unavailable(String),
}

fn unavailable(e: impl std::error::Error + 'static) -> MfaError {
    MfaError::Unavailable(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string())
}

impl Mfa {
    pub fn new(client: Client, pool_id: impl Into<String>) -> Mfa {
        Mfa { client, pool_id: pool_id.into(), pool_takes_tokens: Default::default() }
    }

    /// Whether the pool lets Cognito's software-token MFA take: its MFA configuration is `ON` or
    /// `OPTIONAL` with software tokens enabled. With MFA `OFF` (the platform's pool sets none)
    /// Cognito neither keeps an enrolment nor asks a code at sign-in, so the console keeps its own
    /// second factor instead and calls none of Cognito's TOTP APIs. Read once (the answer is kept).
    pub async fn pool_takes_tokens(&self) -> Result<bool, MfaError> {
        let read = || async {
            let out = self.client.get_user_pool_mfa_config().user_pool_id(&self.pool_id).send().await.map_err(unavailable)?;
            let on = matches!(
                out.mfa_configuration(),
                Some(
                    aws_sdk_cognitoidentityprovider::types::UserPoolMfaType::On
                        | aws_sdk_cognitoidentityprovider::types::UserPoolMfaType::Optional
                )
            );
            let tokens = out.software_token_mfa_configuration().is_some_and(|c| c.enabled());
            Ok::<_, MfaError>(on && tokens)
        };
        self.pool_takes_tokens.get_or_try_init(read).await.copied()
    }

    /// Whether the account has a verified software token as its second factor.
    pub async fn enabled(&self, username: &str) -> Result<bool, MfaError> {
        let out = self.client.admin_get_user().user_pool_id(&self.pool_id).username(username).send().await.map_err(unavailable)?;
        Ok(out.user_mfa_setting_list().iter().any(|m| m == "SOFTWARE_TOKEN_MFA"))
    }

    /// Starts an enrolment: the new secret for the authenticator app (base32).
    pub async fn associate(&self, access: &SecretString) -> Result<SecretString, MfaError> {
        let out = self.client.associate_software_token().access_token(access.expose_secret()).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_not_authorized_exception()) {
                MfaError::Expired
            } else {
                unavailable(e)
            }
        })?;
        out.secret_code.map(SecretString::from).ok_or_else(|| MfaError::Unavailable("AssociateSoftwareToken returned no secret".into()))
    }

    /// Finishes an enrolment: the app's first code proves it holds the secret; then the software
    /// token becomes the account's (preferred) second factor.
    pub async fn verify_and_enable(&self, access: &SecretString, code: &str) -> Result<(), MfaError> {
        let verified = self
            .client
            .verify_software_token()
            .access_token(access.expose_secret())
            .user_code(code)
            .friendly_device_name("Linear console")
            .send()
            .await;
        match verified {
            Ok(_) => {}
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_code_mismatch_exception() || s.is_enable_software_token_mfa_exception()) =>
            {
                return Err(MfaError::WrongCode)
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_authorized_exception()) => return Err(MfaError::Expired),
            Err(e) => return Err(unavailable(e)),
        }
        let settings = SoftwareTokenMfaSettingsType::builder().enabled(true).preferred_mfa(true).build();
        self.client
            .set_user_mfa_preference()
            .access_token(access.expose_secret())
            .software_token_mfa_settings(settings)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
