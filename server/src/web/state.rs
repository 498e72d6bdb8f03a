//! What every handler can reach: configuration, AWS clients, the verifier and the ports.
use std::sync::Arc;

use app::ports::Ports;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::adapters::cognito::id_token::IdTokenVerifier;
use crate::adapters::cognito::sign_in::CognitoAuth;
use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::AwsClients;
use crate::config::Config;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub aws: AwsClients,
    pub verifier: Arc<IdTokenVerifier>,
    pub cognito_auth: CognitoAuth,
    pub audit: AuditLog,
    pub installer: Arc<crate::services::install::Installer>,
    pub overview: crate::services::workspaces::OverviewCache,
    pub sweeper: crate::services::sweep::Sweeper,
    pub ports: Ports,
}
