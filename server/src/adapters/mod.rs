//! The adapters: every call to something outside the process (DynamoDB tables, Secrets Manager,
//! Cognito, SNS, Linear), each implementing one of `console_core::ports`' traits. Wire formats
//! become the core's types here and SDK errors its errors, their cause kept for the log.
pub mod alerting;
pub mod audit_log;
pub mod cloudformation;
pub mod cognito;
pub mod dynamodb;
pub mod event_bus;
pub mod linear;
pub mod origin_secret;
pub mod platform_log;
pub mod secrets;
pub mod session_seal;

use std::time::Duration;

use async_trait::async_trait;
use console_core::error::{Service, StoreError, Unavailable};
use console_core::ids::InviteCode;
use console_core::ports::Ids;
use console_core::time::Clock;
use rand::Rng;
use time::OffsetDateTime;

use crate::config::Config;

/// The SDK clients every adapter is built from.
#[derive(Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub sns: aws_sdk_sns::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl AwsClients {
    /// The SDK's own configuration chain (credentials, `AWS_ENDPOINT_URL`), with our region.
    pub async fn load(config: &Config) -> AwsClients {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(config.region.clone()));
        if let Some(ep) = &config.aws_endpoint {
            loader = loader.endpoint_url(ep);
        }
        AwsClients::from_sdk(&loader.load().await)
    }

    pub fn from_sdk(shared: &aws_config::SdkConfig) -> AwsClients {
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::new(shared),
            secrets: aws_sdk_secretsmanager::Client::new(shared),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(shared),
            sns: aws_sdk_sns::Client::new(shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(shared),
            events: aws_sdk_eventbridge::Client::new(shared),
        }
    }
}

/// An SDK error of one service, its cause kept.
pub fn unavailable<E>(service: Service, e: E) -> Unavailable
where
    E: std::error::Error + Send + Sync + 'static,
{
    Unavailable::new(service, e)
}

/// The one error helper for DynamoDB: a failed condition (of a write, or of a transaction's part)
/// is `Conflict`, anything else the table being unavailable.
pub fn dynamo<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = e.as_service_error().and_then(|s| s.code());
    if matches!(code, Some("ConditionalCheckFailedException" | "TransactionCanceledException")) {
        StoreError::Conflict
    } else {
        StoreError::Unavailable(unavailable(Service::DynamoDb, e))
    }
}

/// A DynamoDB call whose failed condition is an answer (`false`), not an error.
pub fn dynamo_answer<E, R>(result: Result<impl Sized, aws_sdk_dynamodb::error::SdkError<E, R>>) -> Result<bool, Unavailable>
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) => match dynamo(e) {
            StoreError::Conflict => Ok(false),
            StoreError::Unavailable(u) => Err(u),
        },
    }
}

/// A DynamoDB call that has no condition: any failure is the table being unavailable.
pub fn dynamo_down<E, R>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> Unavailable
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    unavailable(Service::DynamoDb, e)
}

/// The system's clock: the wall clock, and tokio's timer for pauses.
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Random ids: UUIDs, and invite codes from the thread's random generator.
pub struct RandomIds;

impl Ids for RandomIds {
    fn unique(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn invite_code(&self) -> InviteCode {
        let mut rng = rand::rng();
        InviteCode::from_picks(|| rng.random_range(0..usize::MAX))
    }

    /// 32 random bytes in hex.
    fn link_token(&self) -> console_core::records::install_links::LinkToken {
        let mut rng = rand::rng();
        let hex: String = (0..32).map(|_| format!("{:02x}", rng.random::<u8>())).collect();
        console_core::records::install_links::LinkToken::new(secrecy::SecretString::from(hex))
    }

    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut rng = rand::rng();
        (0..n).map(|_| rng.random::<u8>()).collect()
    }
}
