//! Wire types: what server functions send to the browser. Nothing here holds a token.
use serde::{Deserialize, Serialize};

/// One registry row as the overview lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub org_id: String,
    /// None when the row lacks a slug (the platform counts it as not registered).
    pub slug: Option<String>,
    /// The Linear organization's name, when the console installed it (`workspace_name`).
    pub name: Option<String>,
    /// `active`, `revoked`, or the platform's reading of anything else.
    pub state: RegistryState,
    pub raw_status: Option<String>,
    pub installed_at: Option<String>,
    pub team_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryState {
    Active,
    Revoked,
    NotRegistered,
}

impl RegistryState {
    pub fn label(self) -> &'static str {
        match self {
            RegistryState::Active => "Active",
            RegistryState::Revoked => "Revoked",
            RegistryState::NotRegistered => "Not registered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor_email: Option<String>,
    pub actor_sub: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUser {
    pub sub: String,
    pub email: Option<String>,
    pub enabled: bool,
    pub status: String,
}

/// Everything the workspace page shows. Never a token: only whether the bundle has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDetail {
    pub summary: WorkspaceSummary,
    pub installed_by: Option<String>,
    pub updated_at: Option<String>,
    pub secret_arn: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_reason: Option<String>,
    /// Onboarded to the AgentCore token vault (`provider_name` on the row).
    pub vault_managed: bool,
    pub orphaned_secret_arn: Option<String>,
    pub bundle: BundleView,
}

/// What the token bundle says, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleView {
    Present { scope: Option<String>, expires_at: Option<String>, has_tokens: bool, has_webhook_secret: bool },
    /// The row names no secret, or the secret does not exist.
    Missing,
    /// The secret is not the JSON object the platform writes.
    Unreadable,
}

/// What the connect page needs: the redirect URI to register and where the app credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectInfo {
    pub redirect_uri: String,
    pub scopes: String,
    pub credentials: CredentialSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialSource {
    /// `LINEAR_CLIENT_ID` / `LINEAR_CLIENT_SECRET` in the console's configuration.
    Configured { client_id: String },
    /// Reused from an active workspace's bundle, as the platform's CLI does.
    Reused { client_id: String, slug: String },
    Missing,
}

/// Why an install or reconnect did not complete; the code travels in the page URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstallFailure {
    StateMissing,
    StateExpired,
    StateMismatch,
    AccessDenied,
    LinearRefused,
    NoCredentials,
    UnknownWorkspace,
    ExchangeRejected,
    ExchangeUnavailable,
    ExchangeTimeout,
    LinearApi,
    LinearRateLimited,
    InvalidSlug,
    WrongWorkspace,
    SlugInUse,
    SecretsUnavailable,
    RegistryUnfinished,
    NothingToFinish,
    SessionUnavailable,
}

impl InstallFailure {
    pub const ALL: [InstallFailure; 19] = [
        InstallFailure::StateMissing,
        InstallFailure::StateExpired,
        InstallFailure::StateMismatch,
        InstallFailure::AccessDenied,
        InstallFailure::LinearRefused,
        InstallFailure::NoCredentials,
        InstallFailure::UnknownWorkspace,
        InstallFailure::ExchangeRejected,
        InstallFailure::ExchangeUnavailable,
        InstallFailure::ExchangeTimeout,
        InstallFailure::LinearApi,
        InstallFailure::LinearRateLimited,
        InstallFailure::InvalidSlug,
        InstallFailure::WrongWorkspace,
        InstallFailure::SlugInUse,
        InstallFailure::SecretsUnavailable,
        InstallFailure::RegistryUnfinished,
        InstallFailure::NothingToFinish,
        InstallFailure::SessionUnavailable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            InstallFailure::StateMissing => "state_missing",
            InstallFailure::StateExpired => "state_expired",
            InstallFailure::StateMismatch => "state_mismatch",
            InstallFailure::AccessDenied => "access_denied",
            InstallFailure::LinearRefused => "linear_refused",
            InstallFailure::NoCredentials => "no_credentials",
            InstallFailure::UnknownWorkspace => "unknown_workspace",
            InstallFailure::ExchangeRejected => "exchange_rejected",
            InstallFailure::ExchangeUnavailable => "exchange_unavailable",
            InstallFailure::ExchangeTimeout => "exchange_timeout",
            InstallFailure::LinearApi => "linear_api",
            InstallFailure::LinearRateLimited => "linear_rate_limited",
            InstallFailure::InvalidSlug => "invalid_slug",
            InstallFailure::WrongWorkspace => "wrong_workspace",
            InstallFailure::SlugInUse => "slug_in_use",
            InstallFailure::SecretsUnavailable => "secrets_unavailable",
            InstallFailure::RegistryUnfinished => "registry_unfinished",
            InstallFailure::NothingToFinish => "nothing_to_finish",
            InstallFailure::SessionUnavailable => "session_unavailable",
        }
    }

    pub fn from_code(code: &str) -> Option<InstallFailure> {
        InstallFailure::ALL.into_iter().find(|f| f.code() == code)
    }
}
