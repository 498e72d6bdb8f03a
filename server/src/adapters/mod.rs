//! The adapters: every call to something outside the process (DynamoDB tables, Secrets Manager,
//! Cognito, Linear). Each turns wire formats into domain types and SDK errors into typed ones.
pub mod alerting;
pub mod cloudformation;
pub mod cognito;
pub mod dynamodb;
pub mod linear;
pub mod read_cache;
pub mod secrets;

/// The cause an adapter error keeps: the SDK's or the HTTP client's own error, with its sources.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error and its sources on one line (`a: b: c`), for the log: the SDK's own `Display` says
/// only "service error", the detail is in its sources.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

use crate::config::Config;

/// The SDK clients every adapter is built from.
#[derive(Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub sns: aws_sdk_sns::Client,
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
        }
    }
}
