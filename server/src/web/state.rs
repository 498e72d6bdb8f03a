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
    pub mfa: crate::adapters::cognito::mfa::Mfa,
    pub audit: AuditLog,
    pub installer: Arc<crate::services::install::Installer>,
    pub overview: crate::services::workspaces::OverviewCache,
    pub sweeper: crate::services::sweep::Sweeper,
    pub access: Arc<crate::services::access::Access>,
    pub readiness: Readiness,
    pub throttle: crate::services::sign_in_throttle::SignInThrottle,
    pub export_limits: crate::web::audit_csv::ExportLimits,
    pub ports: Ports,
}

/// The last `/readyz` answer and when it was made. The lock is held while AWS is asked, so
/// concurrent probes wait for that one answer instead of asking again.
#[derive(Clone, Default)]
pub struct Readiness(pub Arc<tokio::sync::Mutex<Option<(std::time::Instant, bool, serde_json::Value)>>>);
