//! What every handler can reach: configuration, AWS clients, the verifier and the ports.
use std::sync::Arc;

use app::ports::Ports;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::audit::AuditLog;
use crate::auth::cognito::CognitoAuth;
use crate::auth::id_token::IdTokenVerifier;
use crate::config::Config;

#[derive(Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
}

impl AwsClients {
    /// The SDK's own configuration chain (credentials, `AWS_ENDPOINT_URL`), with our region.
    pub async fn load(config: &Config) -> AwsClients {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(config.region.clone()));
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
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub aws: AwsClients,
    pub verifier: Arc<IdTokenVerifier>,
    pub cognito_auth: CognitoAuth,
    pub audit: AuditLog,
    pub installer: Arc<crate::install::Installer>,
    pub upkeep: Arc<crate::token_upkeep::TokenUpkeep>,
    pub removal: Arc<crate::removal::Removal>,
    pub user_links: Arc<crate::user_links::UserLinks>,
    pub overview: crate::workspaces::OverviewCache,
    pub registry: crate::registry::Registry,
    pub sweeper: crate::sweep::Sweeper,
    pub ports: Ports,
}
