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
    pub health: Health,
    /// When the access token expires, as the console last saw it (`token_expires_at`).
    pub token_expires_at: Option<String>,
    pub last_check_at: Option<String>,
    pub last_check_result: Option<String>,
    pub last_refresh_at: Option<String>,
    pub last_refresh_error: Option<String>,
    pub installed_by: Option<String>,
    /// The installer's Cognito email, when the sub is a user of the pool.
    pub installed_by_email: Option<String>,
    /// The kind of the workspace's open incident (the worst, if several).
    #[serde(default)]
    pub open_incident: Option<IncidentKind>,
    /// The last 7 days' worst health, drawn on the server: an SVG `data:` URI.
    #[serde(default)]
    pub spark: Option<String>,
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

/// An audit view, as the URL of `/audit` (and `/audit.csv`) states it. Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Part of the actor's email or sub.
    #[serde(default)]
    pub actor: String,
    /// The target workspace (org id), exactly.
    #[serde(default)]
    pub workspace: String,
    /// An action such as `workspace.revoke`, or a prefix such as `workspace.`.
    #[serde(default)]
    pub action: String,
    /// First and last UTC day, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Paging cursor: events strictly older than this one.
    #[serde(default)]
    pub before: String,
}

impl AuditQuery {
    /// Every field within its shape (the filters bounded, the days as `YYYY-MM-DD`, the cursor
    /// as the page wrote it), so nothing odd reaches DynamoDB; the refusal names the field.
    pub fn validate(&self) -> Result<(), String> {
        use crate::validate;
        validate::text("actor", &self.actor, 254)?;
        validate::text("action", &self.action, 64)?;
        if !self.workspace.is_empty() {
            validate::org_id("workspace", &self.workspace)?;
        }
        validate::day("from", &self.from)?;
        validate::day("to", &self.to)?;
        if !self.before.is_empty() {
            let ok = self.before.split_once('|').is_some_and(|(d, sk)| {
                validate::day("before", d).is_ok() && !d.is_empty() && !sk.is_empty() && validate::text("before", sk, 100).is_ok()
            });
            if !ok {
                return Err("before is not a page cursor of this log.".to_owned());
            }
        }
        Ok(())
    }

    /// The query string (without `before`), for links such as the CSV export.
    pub fn to_query(&self) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect::<String>()
        };
        [("actor", &self.actor), ("workspace", &self.workspace), ("action", &self.action), ("from", &self.from), ("to", &self.to)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One page of audit events, newest first, and the cursor of the next (older) page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<String>,
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
    /// `secret_deletion_error` recorded with the orphan.
    pub orphan_error: Option<String>,
    pub bundle: BundleView,
    /// Its incidents, open first, then resolved in the last 90 days.
    #[serde(default)]
    pub incidents: Vec<IncidentView>,
    /// The last 90 days' worst health per day with incidents marked, drawn on the server.
    #[serde(default)]
    pub timeline: Option<String>,
}

/// What the token bundle says, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleView {
    Present {
        scope: Option<String>,
        expires_at: Option<String>,
        has_tokens: bool,
        has_webhook_secret: bool,
    },
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
    Configured {
        client_id: String,
    },
    /// Reused from an active workspace's bundle, as the platform's CLI does.
    Reused {
        client_id: String,
        slug: String,
    },
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

/// A workspace's token health, as the console judges it (see `server::health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Health {
    Healthy,
    ExpiringSoon,
    ExpiredRefreshable,
    /// Transient failures at Linear (5xx, timeout, rate limit).
    Degraded,
    /// Linear rejected the grant (`invalid_grant`, authentication error), or the bundle is unusable.
    NeedsReconnect,
    Revoked,
    VaultManaged,
    NotRegistered,
}

impl Health {
    pub const ALL: [Health; 8] = [
        Health::Healthy,
        Health::ExpiringSoon,
        Health::ExpiredRefreshable,
        Health::Degraded,
        Health::NeedsReconnect,
        Health::Revoked,
        Health::VaultManaged,
        Health::NotRegistered,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::ExpiringSoon => "Expiring soon",
            Health::ExpiredRefreshable => "Expired, refreshable",
            Health::Degraded => "Degraded",
            Health::NeedsReconnect => "Needs reconnect",
            Health::Revoked => "Revoked",
            Health::VaultManaged => "Vault: not usable",
            Health::NotRegistered => "Not registered",
        }
    }

    /// The URL form (`?status=`).
    pub fn code(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::ExpiringSoon => "expiring",
            Health::ExpiredRefreshable => "expired",
            Health::Degraded => "degraded",
            Health::NeedsReconnect => "reconnect",
            Health::Revoked => "revoked",
            Health::VaultManaged => "vault",
            Health::NotRegistered => "unregistered",
        }
    }

    pub fn from_code(code: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.code() == code)
    }

    /// One line on why, for the badge's page.
    pub fn explanation(self) -> &'static str {
        match self {
            Health::Healthy => "The access token is valid and Linear accepted it at the last check.",
            Health::ExpiringSoon => "The access token expires within the hour; the platform refreshes it when it is next used.",
            Health::ExpiredRefreshable => "The access token has expired; the platform refreshes it on next use with the stored refresh token.",
            Health::Degraded => "The last call to Linear failed for a passing reason (server error, timeout or rate limit).",
            Health::NeedsReconnect => "Linear no longer accepts this workspace's grant (or the token bundle is unusable): tasks from it will fail.",
            Health::Revoked => "The registry marks this workspace revoked: the platform ignores it.",
            Health::VaultManaged => "The row names an AgentCore token vault, but this platform version reads tokens only from the bundle, and the bundle holds none: every event from this workspace is dropped.",
            Health::NotRegistered => "The registry row lacks a slug or a secret ARN: the platform does not see this workspace.",
        }
    }

    /// What to do about it.
    pub fn action(self) -> &'static str {
        match self {
            Health::Healthy => "Nothing.",
            Health::VaultManaged => "Reconnect the workspace: the console writes a token bundle the platform reads.",
            Health::ExpiringSoon | Health::ExpiredRefreshable => "Nothing, or Refresh token now.",
            Health::Degraded => "Check now again later; if it persists, look at Linear's status.",
            Health::NeedsReconnect => "Reconnect the workspace.",
            Health::Revoked => "Reconnect it to use it again, or Remove it.",
            Health::NotRegistered => "Connect the workspace, or Remove the row.",
        }
    }

    /// Counted in "needs attention".
    pub fn needs_attention(self) -> bool {
        matches!(self, Health::Degraded | Health::NeedsReconnect | Health::NotRegistered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_codes_are_distinct_and_round_trip() {
        let mut codes: Vec<_> = Health::ALL.iter().map(|h| h.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Health::ALL.len());
        for h in Health::ALL {
            assert_eq!(Health::from_code(h.code()), Some(h));
            assert!(!h.explanation().is_empty() && !h.action().is_empty());
        }
        assert!(Health::NeedsReconnect.needs_attention() && !Health::Healthy.needs_attention());
    }
}

/// The *Revoke or remove* form's two buttons (`mode=revoke|remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoveMode {
    Revoke,
    Remove,
}

/// A secret an admin types into a form (a webhook signing secret): it travels to the server as
/// a server-function argument, and its `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretInput(String);

impl SecretInput {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretInput(<redacted>)")
    }
}

/// The profile page: who is signed in and their second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub email: String,
    pub role: crate::identity::Role,
    /// Whether the account has an authenticator app as its second factor (`None`: Cognito could
    /// not be asked).
    pub mfa_enabled: Option<bool>,
    /// This session was signed in with an authenticator code.
    pub signed_in_with_code: bool,
    /// The role requires a second factor and this session has none: enrol before anything else.
    pub must_enrol: bool,
    /// An enrolment under way (the secret to add to the app, as a QR code and as text).
    pub enrolment: Option<Enrolment>,
}

/// An authenticator enrolment under way: shown to its own member only, until it is verified.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The base32 secret, for typing into the app by hand.
    pub secret: String,
    /// The `otpauth://` URI as a QR code: an SVG `data:` URI, drawn on the server.
    pub qr: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<secret redacted>)")
    }
}

/// What kind of trouble an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncidentKind {
    NeedsReconnect,
    /// Revoked, but not by an admin through the console.
    Revoked,
    /// Degraded (Linear failing transiently) for longer than the configured time.
    Degraded,
    /// The access token expired and its refresh failed.
    ExpiredRefreshFailed,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 4] =
        [IncidentKind::NeedsReconnect, IncidentKind::Revoked, IncidentKind::Degraded, IncidentKind::ExpiredRefreshFailed];

    pub fn code(self) -> &'static str {
        match self {
            IncidentKind::NeedsReconnect => "needs_reconnect",
            IncidentKind::Revoked => "revoked",
            IncidentKind::Degraded => "degraded",
            IncidentKind::ExpiredRefreshFailed => "expired_refresh_failed",
        }
    }

    pub fn from_code(code: &str) -> Option<IncidentKind> {
        IncidentKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentKind::NeedsReconnect => "Needs reconnect",
            IncidentKind::Revoked => "Revoked",
            IncidentKind::Degraded => "Degraded",
            IncidentKind::ExpiredRefreshFailed => "Expired, refresh failed",
        }
    }

    /// What to do about it, for the page and the alert.
    pub fn action(self) -> &'static str {
        match self {
            IncidentKind::NeedsReconnect => "Reconnect the workspace from its page: Linear no longer accepts its grant.",
            IncidentKind::Revoked => "The app was removed or the workspace revoked outside the console: reconnect it if it should work.",
            IncidentKind::Degraded => "Linear is failing for this workspace: check Linear's status; the console keeps checking.",
            IncidentKind::ExpiredRefreshFailed => "Refresh the token from the workspace's page; if it keeps failing, reconnect.",
        }
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncidentState {
    Open,
    Acknowledged,
    Resolved,
}

impl IncidentState {
    pub fn code(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Resolved => "resolved",
        }
    }

    pub fn from_code(code: &str) -> Option<IncidentState> {
        [IncidentState::Open, IncidentState::Acknowledged, IncidentState::Resolved].into_iter().find(|s| s.code() == code)
    }
}

/// One alert delivery of an incident's event to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// `opened`, `resolved`, `reminder` or `test`.
    pub event: String,
    /// The channel as the settings page names it (never a webhook's secret path).
    pub channel: String,
    pub delivered: bool,
    pub attempts: u32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub at: String,
}

/// An incident as the pages show it. Never a token: the evidence is a check or refresh result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: String,
    pub org_id: String,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub kind: IncidentKind,
    pub state: IncidentState,
    pub first_seen: String,
    pub last_seen: String,
    pub resolved_at: Option<String>,
    pub evidence: String,
    pub acknowledged_by: Option<String>,
    pub note: Option<String>,
    /// Quiet until then (RFC 3339), or for as long as it is open when `snoozed_until_resolved`.
    pub snoozed_until: Option<String>,
    pub snoozed_until_resolved: bool,
    pub deliveries: Vec<DeliveryView>,
}

/// `/incidents`' view, as its URL states it. Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentQuery {
    #[serde(default)]
    pub workspace: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
}

/// An alert channel as the settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    /// Its position in the configuration, for *Send test alert*.
    pub index: usize,
    /// `sns`, `slack` or `webhook`.
    pub kind: String,
    /// The topic ARN, or the URL's host (a webhook URL's path is a secret).
    pub target: String,
}

/// What `/settings` shows: the alert channels and the rules, read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub channels: Vec<ChannelView>,
    pub degraded_after_minutes: u64,
    pub reminder_after_minutes: u64,
    pub sweep_interval_seconds: Option<u64>,
    pub webhook_signed: bool,
}
