//! Cognito password sign-in (`USER_PASSWORD_AUTH`) and its challenges: NEW_PASSWORD_REQUIRED and
//! SOFTWARE_TOKEN_MFA (the code of an authenticator app). Tokens stay in `SecretString`s and are
//! dropped once the ID token is verified (the access token is kept only to enrol a second factor).
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use aws_sdk_cognitoidentityprovider::Client;
use secrecy::{ExposeSecret, SecretString};

pub enum PasswordOutcome {
    Tokens(Tokens),
    /// Cognito's opaque challenge session, to send back with the new password.
    NewPasswordRequired(SecretString),
    /// The account has a second factor: the challenge session, to send back with the code.
    MfaRequired(SecretString),
}

/// What a completed sign-in yields: the ID token (identity and groups) and the access token.
pub struct Tokens {
    pub id: SecretString,
    pub access: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password, unknown user, disabled user: one message for all of them.
    #[error("incorrect email or password")]
    InvalidCredentials,
    #[error("the new password does not meet the pool's policy")]
    PasswordPolicy,
    #[error("the sign-in challenge expired")]
    ChallengeExpired,
    #[error("the authenticator code is wrong")]
    WrongCode,
    #[error("Cognito unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub struct CognitoAuth {
    client: Client,
    app_client_id: String,
}

impl CognitoAuth {
    pub fn new(client: Client, app_client_id: String) -> Self {
        CognitoAuth { client, app_client_id }
    }

    pub async fn password_auth(&self, email: &str, password: &SecretString) -> Result<PasswordOutcome, SignInError> {
        let out = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.app_client_id)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password.expose_secret())
            .send()
            .await;
        match out {
            Ok(out) => outcome(out.authentication_result, out.challenge_name, out.session),
            Err(e) => {
                let svc = e.as_service_error();
                if svc.is_some_and(|s| {
                    s.is_not_authorized_exception()
                        || s.is_user_not_found_exception()
                        || s.is_user_not_confirmed_exception()
                        || s.is_password_reset_required_exception()
                        || s.is_invalid_parameter_exception()
                }) {
                    Err(SignInError::InvalidCredentials)
                } else {
                    Err(SignInError::Unavailable(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string()))
                }
            }
        }
    }

    pub async fn answer_new_password(
        &self,
        email: &str,
        new_password: &SecretString,
        session: &SecretString,
    ) -> Result<PasswordOutcome, SignInError> {
        self.respond(ChallengeNameType::NewPasswordRequired, email, ("NEW_PASSWORD", new_password.expose_secret()), session, |s| {
            if s.is_invalid_password_exception() {
                Some(SignInError::PasswordPolicy)
            } else if s.is_code_mismatch_exception() || s.is_expired_code_exception() {
                Some(SignInError::ChallengeExpired)
            } else if s.is_not_authorized_exception() || s.is_user_not_found_exception() {
                Some(SignInError::InvalidCredentials)
            } else {
                None
            }
        })
        .await
    }

    /// Answers SOFTWARE_TOKEN_MFA with the code of the member's authenticator app.
    pub async fn answer_mfa(&self, email: &str, code: &str, session: &SecretString) -> Result<PasswordOutcome, SignInError> {
        self.respond(ChallengeNameType::SoftwareTokenMfa, email, ("SOFTWARE_TOKEN_MFA_CODE", code), session, |s| {
            if s.is_code_mismatch_exception() {
                Some(SignInError::WrongCode)
            } else if s.is_expired_code_exception() || s.is_not_authorized_exception() || s.is_user_not_found_exception() {
                // Cognito also ends the challenge session after too many wrong codes.
                Some(SignInError::ChallengeExpired)
            } else {
                None
            }
        })
        .await
    }

    /// One answer to a challenge; `refusal` names the service errors that are the user's, the rest
    /// are Cognito being unavailable.
    async fn respond(
        &self,
        challenge: ChallengeNameType,
        email: &str,
        (key, value): (&str, &str),
        session: &SecretString,
        refusal: impl Fn(&RespondToAuthChallengeError) -> Option<SignInError>,
    ) -> Result<PasswordOutcome, SignInError> {
        let out = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.app_client_id)
            .challenge_name(challenge)
            .session(session.expose_secret())
            .challenge_responses("USERNAME", email)
            .challenge_responses(key, value)
            .send()
            .await;
        match out {
            Ok(out) => outcome(out.authentication_result, out.challenge_name, out.session),
            Err(e) => match e.as_service_error().and_then(&refusal) {
                Some(refused) => Err(refused),
                None => Err(SignInError::Unavailable(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string())),
            },
        }
    }
}

fn outcome(
    result: Option<AuthenticationResultType>,
    challenge: Option<ChallengeNameType>,
    session: Option<String>,
) -> Result<PasswordOutcome, SignInError> {
    let tokens = result.and_then(|r| Some(Tokens { id: SecretString::from(r.id_token?), access: SecretString::from(r.access_token?) }));
    match (tokens, challenge, session) {
        (Some(t), _, _) => Ok(PasswordOutcome::Tokens(t)),
        (None, Some(ChallengeNameType::NewPasswordRequired), Some(s)) => Ok(PasswordOutcome::NewPasswordRequired(SecretString::from(s))),
        (None, Some(ChallengeNameType::SoftwareTokenMfa), Some(s)) => Ok(PasswordOutcome::MfaRequired(SecretString::from(s))),
        (None, Some(other), _) => Err(SignInError::Unavailable(format!("unsupported challenge {other}"))),
        (None, None, _) => Err(SignInError::Unavailable("Cognito returned neither tokens nor a challenge".into())),
    }
}
