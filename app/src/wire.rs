//! Wire types: what server functions send to the browser. Nothing here holds a token. The rules'
//! own value types (health, states, kinds, a pool user, an audit entry) travel as they are; the
//! pages' aggregates are built from the services' answers in one place (`crate::convert`).
use console_core::codes;
use serde::{Deserialize, Serialize};

pub use console_core::health::{Health, RegistryState};
pub use console_core::incidents::{IncidentKind, IncidentState};
pub use console_core::ports::{AuditEntry, AuditPage};
pub use console_core::records::members::PlatformUser;

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
    /// Other active rows claiming the same url key (org ids).
    #[serde(default)]
    pub slug_shared_with: Vec<String>,
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
    /// The view as the log's filter: every field within its shape (the filters bounded, the days
    /// as `YYYY-MM-DD`, the cursor as the page wrote it), so nothing odd reaches DynamoDB; the
    /// refusal names the field.
    pub fn filter(&self) -> Result<console_core::ports::AuditFilter, String> {
        use crate::validate;
        validate::text("actor", &self.actor, 254)?;
        validate::text("action", &self.action, 64)?;
        let workspace = match self.workspace.as_str() {
            "" => None,
            w => Some(w.parse::<console_core::ids::OrgId>().map_err(|e| e.about("workspace"))?),
        };
        let from = validate::day("from", &self.from)?;
        let to = validate::day("to", &self.to)?;
        let before = match self.before.as_str() {
            "" => None,
            b => {
                let ok = b.split_once('|').is_some_and(|(d, sk)| {
                    validate::day("before", d).is_ok_and(|d| d.is_some()) && !sk.is_empty() && validate::text("before", sk, 100).is_ok()
                });
                if !ok {
                    return Err("before is not a page cursor of this log.".to_owned());
                }
                Some(b.split_once('|').map(|(_, sk)| sk.to_owned()).unwrap_or_default())
            }
        };
        Ok(console_core::ports::AuditFilter {
            actor: self.actor.trim().to_owned(),
            workspace,
            action: self.action.clone(),
            from,
            to,
            before,
        })
    }

    /// The query string (without `before`), for links such as the CSV export.
    pub fn to_query(&self) -> String {
        [("actor", &self.actor), ("workspace", &self.workspace), ("action", &self.action), ("from", &self.from), ("to", &self.to)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", crate::url::enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
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
    pub bundle: BundleState,
    /// Its incidents, open first, then resolved in the last 90 days.
    #[serde(default)]
    pub incidents: Vec<IncidentView>,
    /// The last 90 days' worst health per day with incidents marked, drawn on the server.
    #[serde(default)]
    pub timeline: Option<String>,
}

/// What the token bundle says, without its secrets.
pub use console_core::services::workspaces::BundleState;

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

codes! {
    /// Why an install or reconnect did not complete; the code travels in the page URL.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum InstallFailure {
        StateMissing = "state_missing",
        StateExpired = "state_expired",
        StateMismatch = "state_mismatch",
        AccessDenied = "access_denied",
        LinearRefused = "linear_refused",
        NoCredentials = "no_credentials",
        UnknownWorkspace = "unknown_workspace",
        ExchangeRejected = "exchange_rejected",
        ExchangeUnavailable = "exchange_unavailable",
        ExchangeTimeout = "exchange_timeout",
        LinearApi = "linear_api",
        LinearRateLimited = "linear_rate_limited",
        InvalidSlug = "invalid_slug",
        WrongWorkspace = "wrong_workspace",
        SlugInUse = "slug_in_use",
        SecretsUnavailable = "secrets_unavailable",
        RegistryUnfinished = "registry_unfinished",
        NothingToFinish = "nothing_to_finish",
        SessionUnavailable = "session_unavailable",
        LinkUnusable = "link_unusable",
        LinkWrongWorkspace = "link_wrong_workspace",
        LinkUnavailable = "link_unavailable",
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
    /// Whose second factor: `cognito` (the pool's software token) or `console` (the console's own,
    /// where the pool's MFA is off); empty when the pool could not be asked.
    #[serde(default)]
    pub factor_kind: String,
    /// The recovery codes of an enrolment just finished: shown this once.
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// Recovery codes left (the console's own factor).
    #[serde(default)]
    pub recovery_left: Option<usize>,
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

/// `/incidents`' view, as its URL states it (`?workspace=&kind=&state=`); none set means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentQuery {
    /// A slug or an org id.
    #[serde(default)]
    pub workspace: String,
    #[serde(default, deserialize_with = "console_core::codes::none_if_empty", skip_serializing_if = "Option::is_none")]
    pub kind: Option<IncidentKind>,
    #[serde(default, deserialize_with = "console_core::codes::none_if_empty", skip_serializing_if = "Option::is_none")]
    pub state: Option<IncidentState>,
}

impl IncidentQuery {
    /// The view in a URL's query; a kind or a state it does not know is refused, naming the field.
    pub fn from_params(p: &leptos_router::params::ParamsMap) -> Result<IncidentQuery, String> {
        use crate::validate;
        let get = |k: &str| p.get(k).unwrap_or_default();
        let workspace = get("workspace");
        validate::text("workspace", &workspace, 64)?;
        Ok(IncidentQuery { workspace, kind: validate::choice("kind", &get("kind"))?, state: validate::choice("state", &get("state"))? })
    }

    /// The view as the incidents' filter (the workspace bounded: the server reads it from anyone).
    pub fn filter(&self) -> Result<console_core::services::incidents::IncidentFilter, String> {
        crate::validate::text("workspace", &self.workspace, 64)?;
        let workspace = Some(self.workspace.trim().to_owned()).filter(|w| !w.is_empty());
        Ok(console_core::services::incidents::IncidentFilter { workspace, kind: self.kind, state: self.state })
    }
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
    /// Requests arrive through a proxy (`X-Forwarded-For`) while no proxy hop is trusted: every
    /// client shares the proxy's address for the sign-in throttle.
    #[serde(default)]
    pub proxy_without_hops: bool,
    /// Where every audit event is also written in CloudWatch Logs (`group …, stream …`), if anywhere.
    #[serde(default)]
    pub audit_log: Option<String>,
    /// Where lifecycle events go, in words (`EventBridge bus default; 1 webhook`), if anywhere.
    #[serde(default)]
    pub events: Option<String>,
    /// The platform's webhook processor log read for dropped requests, if known.
    #[serde(default)]
    pub processor_log: Option<String>,
}

/// A live session of a member, as their list (or an admin's) shows it. Times are ISO-8601 UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names it for *Sign out* (a hash of its id: no browser can present it as a cookie).
    pub handle: String,
    pub started_at: String,
    pub seen_at: String,
    pub ends_at: String,
    pub address: String,
    pub browser: String,
    /// The session this page was asked from.
    pub current: bool,
}

/// A member's live sessions, for an admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSessionsView {
    pub sub: String,
    pub email: String,
    pub sessions: Vec<SessionView>,
}
