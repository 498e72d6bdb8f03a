//! The traits the services call, owned here so the services can be tested with fakes: the
//! registry, the token vault, the user-mapping table, Linear (OAuth and GraphQL), the audit log,
//! the incidents table, the alert channels, the user pool, leases, the sign-in counters, id
//! generation and the platform's log. The server implements each with an adapter (DynamoDB, Secrets Manager, Cognito,
//! SNS, HTTP); the fakes module implements each in memory.
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::AuditEvent;
use crate::error::{StoreError, Unavailable};
use crate::health::{CheckResult, Health};
use crate::ids::{InviteCode, LinkKey, MappingKey, OrgId, PlatformUserId, ProjectId, UrlKey};
use crate::incidents::{AlertMessage, Incident, IncidentKind};
use crate::records::install_links::{InstallLink, LinkToken, LinkUse};
use crate::records::members::{LinearUser, PlatformUser};
use crate::records::projects::{LinearProject, ProjectMapping, Repository, Version};
use crate::records::registry::{Expect, RegistryRecord};
use crate::records::user_mapping::{Invite, Link, MappingRow};
use crate::sign_in_throttle::{Failures, Limits};

// ---- the registry --------------------------------------------------------------------------

/// What a refresh attempt leaves on the row when its lease is given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub at: String,
    /// `None`: it succeeded.
    pub error: Option<String>,
    /// The new access token's expiry, when it succeeded.
    pub expires_at: Option<String>,
}

/// The platform's workspace registry (contract §1): every read and write of it.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Every row (a Scan).
    async fn all(&self) -> Result<Vec<RegistryRecord>, StoreError>;
    /// One row, read consistently.
    async fn get(&self, org: &OrgId) -> Result<Option<RegistryRecord>, StoreError>;
    /// Writes an install or reconnect as a whole row, on condition that the row is still as
    /// `expect` says (`Conflict` otherwise).
    async fn put_install(&self, row: &RegistryRecord, expect: &Expect) -> Result<(), StoreError>;
    /// Marks the row revoked by an admin (`status`, `revoked_reason`, who and when).
    async fn mark_revoked(&self, org: &OrgId, by: &str, at: &str) -> Result<(), StoreError>;
    /// Deletes the row, only while it is revoked (`Conflict` otherwise).
    async fn delete_revoked(&self, org: &OrgId) -> Result<(), StoreError>;
    /// Records a secret that could not be deleted, as the platform does.
    async fn mark_orphaned(&self, org: &OrgId, arn: &str, error: &str) -> Result<(), StoreError>;
    /// Removes the orphaned-secret markers only while they name `arn`; `false` when they did not.
    async fn clear_orphan(&self, org: &OrgId, arn: &str) -> Result<bool, StoreError>;
    /// Takes the console's refresh lease on the row; `Conflict` when no row or another holder's
    /// lease has not run out.
    async fn take_lease(&self, org: &OrgId, owner: &str, now: i64, seconds: i64) -> Result<(), StoreError>;
    /// Gives the lease back (only if still `owner`'s), recording the refresh attempt if any.
    async fn release_lease(&self, org: &OrgId, owner: &str, refresh: Option<&RefreshRecord>) -> Result<(), StoreError>;
    /// Records a *Check now* and the token expiry it saw.
    async fn record_check(&self, org: &OrgId, at: &str, result: CheckResult, expires_at: Option<&str>) -> Result<(), StoreError>;
}

// ---- the token vault -------------------------------------------------------------------------

/// A secret as read: its ARN and its value (never logged, never shown).
#[derive(Debug, Clone)]
pub struct StoredSecret {
    pub arn: String,
    pub value: SecretString,
}

/// Token bundles (contract §4) and the stack's webhook secret, in Secrets Manager.
#[async_trait]
pub trait TokenVault: Send + Sync {
    /// The secret's current value; `None` when it does not exist (or is scheduled for deletion).
    async fn read(&self, id: &str) -> Result<Option<StoredSecret>, Unavailable>;
    /// Writes the workspace's bundle under `bgagent-linear-oauth-<url key>` with the platform's
    /// tags, creating it or replacing its value (restoring it first if it was being deleted).
    /// Returns the secret's ARN. Writing it again after any failure writes the same secret.
    async fn write_bundle(&self, key: &UrlKey, value: &SecretString) -> Result<String, Unavailable>;
    /// Replaces the value of an existing secret (the whole bundle at once).
    async fn put_value(&self, id: &str, value: &SecretString) -> Result<(), Unavailable>;
    /// Deletes a secret at once, without a recovery window; a missing one is not an error.
    async fn delete_now(&self, id: &str) -> Result<(), Unavailable>;
}

// ---- the user-mapping table ------------------------------------------------------------------

/// The user-mapping table (contract §2): conditional writes throughout, so no link another admin
/// or the CLI made is overwritten unseen.
#[async_trait]
pub trait Mappings: Send + Sync {
    /// Every row of a workspace: links (also legacy ones without `linear_workspace_id`) and invites.
    async fn workspace_rows(&self, org: &OrgId) -> Result<Vec<MappingRow>, StoreError>;
    async fn get(&self, key: &MappingKey) -> Result<Option<MappingRow>, StoreError>;
    /// A new link; `Conflict` if its key exists.
    async fn put_new_link(&self, link: &Link) -> Result<(), StoreError>;
    /// A new invite; `Conflict` if its code is taken.
    async fn put_new_invite(&self, invite: &Invite) -> Result<(), StoreError>;
    /// Replaces a link only while it still names `expected`.
    async fn replace_link(&self, link: &Link, expected: &PlatformUserId) -> Result<(), StoreError>;
    /// Deletes a link only while it still names `expected`.
    async fn delete_link(&self, key: &LinkKey, expected: &PlatformUserId) -> Result<(), StoreError>;
    /// Deletes a pending invite of this workspace; `Conflict` if it is gone or another's.
    async fn delete_invite(&self, code: &InviteCode, org: &OrgId) -> Result<(), StoreError>;
    /// Deletes an invite past its `ttl`, only while it is still that pending invite; `false` when
    /// it was redeemed or deleted meanwhile.
    async fn delete_expired_invite(&self, code: &InviteCode, now: i64) -> Result<bool, StoreError>;
    /// Every pending invite past its `ttl`, across workspaces.
    async fn expired_invites(&self, now: i64) -> Result<Vec<Invite>, StoreError>;
    /// Deletes rows by key, unconditionally (a workspace's removal); how many.
    async fn delete_all(&self, keys: &[String]) -> Result<usize, StoreError>;
    /// A platform user's rows (oldest link first).
    async fn of_platform_user(&self, sub: &PlatformUserId) -> Result<Vec<MappingRow>, StoreError>;
}

// ---- projects and repositories ----------------------------------------------------------------

/// The project-mapping table (contract §3, §10): one row per Linear project, no index.
#[async_trait]
pub trait ProjectMappings: Send + Sync {
    /// Every row (a Scan: rows the CLI wrote carry no workspace, so none can be queried by one).
    async fn all(&self) -> Result<Vec<ProjectMapping>, StoreError>;
    async fn get(&self, project: &ProjectId) -> Result<Option<ProjectMapping>, StoreError>;
    /// Writes the whole row on condition that the key holds what `expected` says (`Conflict`
    /// otherwise): nobody's mapping is overwritten unseen.
    async fn put(&self, row: &ProjectMapping, expected: &Version) -> Result<(), StoreError>;
}

/// The platform's repository table (stack output `RepoTableName`), read only.
#[async_trait]
pub trait Repositories: Send + Sync {
    /// Every row.
    async fn all(&self) -> Result<Vec<Repository>, Unavailable>;
}

// ---- Linear ----------------------------------------------------------------------------------

/// The scopes the platform installs with, one space-separated string (commas break `actor=app`).
pub const SCOPES: &str = "read write app:assignable app:mentionable";

/// The Linear OAuth app's credentials. Debug output redacts the secret.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// Tokens Linear issued, as the bundle stores them.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_in: Duration,
    /// Space-separated, as the platform stores it.
    pub scope: String,
}

/// Why a token request failed. No variant carries a response body: it may hold tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Linear answered 4xx with an OAuth error code (`invalid_grant`, `invalid_client`, …).
    #[error("Linear refused the request ({code})")]
    Rejected { code: String },
    #[error("Linear's token endpoint answered HTTP {status}")]
    Unavailable { status: u16 },
    #[error("Linear's token endpoint did not answer in time")]
    Timeout,
    #[error("Linear's token endpoint could not be reached")]
    Unreachable,
    #[error("Linear's token response could not be read ({0})")]
    Malformed(&'static str),
}

/// What a revocation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// Linear said the token was no longer live.
    AlreadyDead,
}

/// Which token a revocation names (`token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Refresh,
    Access,
}

/// A consent to start: the URL to send the admin to, and what the session keeps until the callback.
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub verifier: SecretString,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid Linear OAuth endpoint configuration: {0}")]
pub struct EndpointError(pub String);

/// Linear's OAuth endpoints.
#[async_trait]
pub trait LinearOAuth: Send + Sync {
    /// The authorize URL the platform uses (`actor=app`, `prompt=consent`, PKCE S256), with a
    /// fresh state and verifier.
    fn authorization(&self, creds: &AppCredentials) -> Result<Authorization, EndpointError>;
    async fn exchange(&self, creds: &AppCredentials, code: &str, verifier: &SecretString) -> Result<IssuedTokens, TokenError>;
    async fn refresh(&self, creds: &AppCredentials, refresh_token: &SecretString, scope: &str) -> Result<IssuedTokens, TokenError>;
    async fn revoke(&self, kind: TokenKind, token: &SecretString) -> Result<Revocation, TokenError>;
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(rename = "urlKey")]
    pub url_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Viewer {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// What an install needs to know about the workspace a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallFacts {
    /// With `actor=app`, the app's own bot user.
    pub viewer: Viewer,
    pub organization: Organization,
    pub team_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Linear did not accept the token ({code})")]
    Unauthenticated { code: String },
    /// Linear's rate limit was reached; with the reset time its headers gave (epoch ms) if any.
    #[error("Linear's rate limit was reached")]
    RateLimited { reset_ms: Option<i64> },
    #[error("Linear's API answered HTTP {status}")]
    Unavailable { status: u16 },
    #[error("Linear's API did not answer in time")]
    Timeout,
    #[error("Linear's API could not be reached")]
    Unreachable,
    /// A GraphQL error in a 200 answer; `code` is `extensions.code` when given.
    #[error("Linear's API returned an error ({code})")]
    Query { code: String, message: String },
    #[error("Linear's API answer could not be read")]
    Malformed,
}

/// How far a fetch of a workspace's members has got: (pages, users).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Send + Sync);

/// Linear's GraphQL API, with a workspace's access token.
#[async_trait]
pub trait LinearApi: Send + Sync {
    /// Viewer, organization and every team key.
    async fn install_facts(&self, token: &SecretString) -> Result<InstallFacts, ApiError>;
    /// Every member (disabled ones too), page by page.
    async fn users(&self, token: &SecretString, progress: Progress<'_>) -> Result<Vec<LinearUser>, ApiError>;
    /// The token's own user: proves Linear accepts the token.
    async fn viewer(&self, token: &SecretString) -> Result<Viewer, ApiError>;
    /// Every project of the workspace, with its teams, page by page.
    async fn projects(&self, token: &SecretString) -> Result<Vec<LinearProject>, ApiError>;
}

// ---- the platform's user pool ----------------------------------------------------------------

/// The platform's Cognito user pool.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The pool user with this `sub`, if there is one.
    async fn by_sub(&self, sub: &str) -> Result<Option<PlatformUser>, Unavailable>;
    /// Users whose email starts with `prefix`, a page at a time (Cognito's pagination token).
    async fn search(&self, prefix: &str, token: Option<String>, limit: usize) -> Result<(Vec<PlatformUser>, Option<String>), SearchError>;
    /// The members of a group.
    async fn group_members(&self, group: &str) -> Result<Vec<PlatformUser>, Unavailable>;
    /// Every user of the pool.
    async fn all(&self) -> Result<Vec<PlatformUser>, Unavailable>;
    /// Creates a user whose username and verified email are `email`; the pool emails them a
    /// temporary password. `None` when a user with that username exists already.
    async fn create(&self, email: &str) -> Result<Option<PlatformUser>, Unavailable>;
}

/// Why a search of the pool answered no page.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The pool refused the page token: not one of its own (the client's mistake).
    #[error("next is not a page of this search")]
    BadPageToken,
    #[error("{0}")]
    Unavailable(#[from] Unavailable),
}

// ---- the audit log ---------------------------------------------------------------------------

/// One stored audit event, as the pages and the export read it.
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
    /// Where the event is kept (`<time>#<id>`), to name it again: *Send again* on an undelivered
    /// lifecycle event.
    #[serde(default)]
    pub key: String,
    /// An undelivered lifecycle event sent again by hand: by whom and when.
    #[serde(default)]
    pub resent: Option<String>,
}

/// Which events to read: every field optional ("any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AuditFilter {
    /// Part of the actor's email or sub (case-insensitive).
    pub actor: String,
    /// One workspace's events (read through its own index).
    pub workspace: Option<OrgId>,
    /// An action such as `workspace.revoke`, or a prefix such as `workspace.`.
    pub action: String,
    /// First and last UTC day; default: the last 30 days, at most a year back.
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    /// Paging cursor, as a page wrote it: events strictly older than this one.
    pub before: Option<String>,
}

/// One page of events, newest first, and the cursor of the next (older) page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<String>,
}

/// The console's audit log table.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes one event (already bounded), with its time and a unique id.
    async fn append(&self, event: &AuditEvent, at: OffsetDateTime, id: &str) -> Result<(), Unavailable>;
    /// Events matching `filter`, newest first, at most `limit`, relative to `today`.
    async fn search(&self, filter: &AuditFilter, limit: usize, today: time::Date) -> Result<AuditPage, Unavailable>;
    /// The event kept under `key` (an entry's `key`); `None` for a key that names none.
    async fn get(&self, key: &str) -> Result<Option<AuditEntry>, Unavailable>;
    /// Marks the event under `key` as sent again (`note`: by whom and when), unless it already is
    /// (or there is none): `false` then. Conditional, so of two callers one wins.
    async fn mark_resent(&self, key: &str, note: &str) -> Result<bool, Unavailable>;
    /// Takes back the mark `note` made (a send that failed), so it can be tried again.
    async fn unmark_resent(&self, key: &str, note: &str) -> Result<(), Unavailable>;
}

// ---- incidents and alerts --------------------------------------------------------------------

/// An alert delivery as stored: which event of which incident to which channel, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub incident_id: String,
    pub event: String,
    pub channel: usize,
    pub channel_label: String,
    pub delivered: bool,
    pub attempts: u32,
    pub error: Option<String>,
    pub at: i64,
    pub next_at: Option<i64>,
    /// The message's JSON, kept for retries (built from the incident: no token).
    pub message: String,
}

/// The worst health of one workspace on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHealth {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub org_id: String,
    pub health: Health,
}

/// The console's incidents table: open incidents, resolved ones, deliveries and health history.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Every open incident, or one workspace's.
    async fn open(&self, org: Option<&str>) -> Result<Vec<Incident>, Unavailable>;
    /// Opens an incident unless one of its (workspace, kind) is open: `false` then.
    async fn create(&self, incident: &Incident) -> Result<bool, Unavailable>;
    /// The same kind seen again while open: "last seen" and the evidence move.
    async fn seen(&self, org: &str, kind: IncidentKind, now: i64, evidence: &str) -> Result<(), Unavailable>;
    /// Moves an open incident to the resolved ones, conditioned on it still being that incident:
    /// `false` when another instance resolved it first.
    async fn resolve(&self, incident: &Incident, now: i64) -> Result<bool, Unavailable>;
    /// Incidents resolved since `since`.
    async fn resolved_since(&self, since: i64, now: i64) -> Result<Vec<Incident>, Unavailable>;
    /// Acknowledges an open incident; `false` when it is not open.
    async fn acknowledge(&self, org: &str, kind: IncidentKind, by: &str, note: &str) -> Result<bool, Unavailable>;
    /// Snoozes an open incident until `until`, or until resolved (`None`); `false` when not open.
    async fn snooze(&self, org: &str, kind: IncidentKind, until: Option<i64>) -> Result<bool, Unavailable>;
    /// Since when the workspace has been degraded without a break.
    async fn degraded_since(&self, org: &str) -> Result<Option<i64>, Unavailable>;
    async fn set_degraded_since(&self, org: &str, since: Option<i64>) -> Result<(), Unavailable>;
    /// Keeps a check, refresh or health change, and folds it into the day's worst health.
    async fn record_health(&self, org: &str, now: i64, event: &str, health: Health, detail: &str) -> Result<(), Unavailable>;
    /// The worst health of each (day, workspace) from `from_day` on.
    async fn days_since(&self, from_day: &str) -> Result<Vec<DayHealth>, Unavailable>;
    /// Claims a delivery before it is sent: `false` when someone else claimed it.
    async fn claim(&self, delivery: &Delivery) -> Result<bool, Unavailable>;
    /// Records how a delivery went.
    async fn delivered(&self, delivery: &Delivery) -> Result<(), Unavailable>;
    /// Every delivery kept.
    async fn deliveries(&self) -> Result<Vec<Delivery>, Unavailable>;
}

/// How long a claimed delivery is its claimant's before the sweep may send it instead.
pub const CLAIM_SECONDS: i64 = 120;

/// Where alerts go. A URL is a secret (its path authorizes the post): never shown or logged whole.
#[derive(Clone, Debug)]
pub enum Channel {
    Sns { topic_arn: String },
    Slack { url: SecretString },
    Webhook { url: SecretString, secret: Option<SecretString> },
}

fn host_of(url: &str) -> String {
    url.split("://").nth(1).and_then(|rest| rest.split(['/', '?']).next()).unwrap_or("?").to_owned()
}

impl Channel {
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Sns { .. } => "sns",
            Channel::Slack { .. } => "slack",
            Channel::Webhook { .. } => "webhook",
        }
    }

    /// How pages, logs and deliveries name it: the topic's ARN, or only the URL's host.
    pub fn label(&self) -> String {
        use secrecy::ExposeSecret;
        match self {
            Channel::Sns { topic_arn } => format!("sns {topic_arn}"),
            Channel::Slack { url } => format!("slack {}", host_of(url.expose_secret())),
            Channel::Webhook { url, .. } => format!("webhook {}", host_of(url.expose_secret())),
        }
    }
}

/// Why a send failed, in words safe to show and keep (no URL path, no body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SendError(pub String);

/// Sends one alert message to one channel.
#[async_trait]
pub trait AlertSender: Send + Sync {
    async fn send(&self, channel: &Channel, message: &AlertMessage, now: i64) -> Result<(), SendError>;
    /// Posts a lifecycle event's envelope (JSON) to a webhook channel, signed as alerts are.
    async fn post_event(&self, channel: &Channel, body: &str, now: i64) -> Result<(), SendError>;
}

// ---- members' sessions -----------------------------------------------------------------------

/// A signed-in session as its member's list shows it. `handle` names it for ending it, and is not
/// its id: it is the store's key (a hash of the id), which no browser can present as a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub handle: String,
    pub started_at: i64,
    /// The last activity recorded (at most a minute behind).
    pub seen_at: i64,
    /// When it ends if nothing happens: its idle end, or its absolute end if sooner.
    pub ends_at: i64,
    /// The address it signed in from.
    pub address: String,
    /// The browser and system it signed in with, in words.
    pub browser: String,
}

/// The members' sessions in the sessions table, by member.
#[async_trait]
pub trait MemberSessions: Send + Sync {
    /// The member's stored sessions (ended ones too: the table's expiry deletion is lazy).
    async fn of_member(&self, sub: &str) -> Result<Vec<SessionSummary>, Unavailable>;
    /// Deletes the session `handle` if it is `sub`'s; whether it was there.
    async fn end(&self, sub: &str, handle: &str) -> Result<bool, Unavailable>;
}

// ---- leases, counters, ids -------------------------------------------------------------------

/// Short leases shared by console instances (the sweep's).
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes `id` for `seconds` unless another holder's lease runs; whether it was taken.
    async fn take(&self, id: &str, owner: &str, now: i64, seconds: i64) -> Result<bool, Unavailable>;
}

/// The sign-in throttle's counters, shared by console instances.
#[async_trait]
pub trait SignInCounters: Send + Sync {
    async fn read(&self, key: &str) -> Result<Option<Failures>, Unavailable>;
    /// Counts a failure under `key` at `now`, atomically; the new count.
    async fn fail(&self, key: &str, limits: &Limits, now: i64) -> Result<Failures, Unavailable>;
    async fn clear(&self, key: &str) -> Result<(), Unavailable>;
}

/// Fresh ids: unique ones (incidents, audit events, console instances), invite codes, the
/// tokens of install links (256 random bits), and random bytes (authenticator secrets).
pub trait Ids: Send + Sync {
    fn unique(&self) -> String;
    fn invite_code(&self) -> InviteCode;
    fn link_token(&self) -> LinkToken;
    fn random_bytes(&self, n: usize) -> Vec<u8>;
}

// ---- the console's own second factor -------------------------------------------------------------

/// Where a member's console authenticator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorStage {
    /// Enrolment started: the secret is made, no code has proved the app holds it yet.
    Pending,
    Active,
}

/// A member's console authenticator as the store holds it (the secret sealed at rest).
#[derive(Debug, Clone)]
pub struct Factor {
    pub stage: FactorStage,
    /// The base32 secret.
    pub secret: SecretString,
    /// The step of the last code accepted (none is accepted again).
    pub last_step: i64,
    /// The unused recovery codes' hashes.
    pub recovery: Vec<String>,
    pub enrolled_at: i64,
}

/// The members' console authenticators. Every change is conditional, so two requests racing
/// (a code typed twice, a recovery code used in two tabs) cannot both succeed.
#[async_trait]
pub trait Factors: Send + Sync {
    async fn get(&self, sub: &str) -> Result<Option<Factor>, Unavailable>;
    /// Stores a pending factor unless an active one exists (`false` then).
    async fn put_pending(&self, sub: &str, secret: &SecretString, now: i64) -> Result<bool, Unavailable>;
    /// Makes the pending factor active, its first code's step used; `false` if none was pending.
    async fn activate(&self, sub: &str, step: i64, recovery: &[String], now: i64) -> Result<bool, Unavailable>;
    /// Records `step` as used if it is later than the last one; `false` for a replay.
    async fn use_step(&self, sub: &str, step: i64) -> Result<bool, Unavailable>;
    /// Uses up one recovery code's hash; `false` if it was not there (used already).
    async fn use_recovery(&self, sub: &str, hash: &str) -> Result<bool, Unavailable>;
    /// Removes the factor; whether there was one.
    async fn delete(&self, sub: &str) -> Result<bool, Unavailable>;
}

// ---- install links ---------------------------------------------------------------------------

/// Install and reconnect links, kept by the SHA-256 of their token. A link changes only while it
/// is waiting: conditional writes, so it is used once and never after it was revoked.
#[async_trait]
pub trait InstallLinkStore: Send + Sync {
    /// A new link; `Conflict` if its id exists.
    async fn create(&self, link: &InstallLink) -> Result<(), StoreError>;
    async fn get(&self, id: &str) -> Result<Option<InstallLink>, Unavailable>;
    async fn all(&self) -> Result<Vec<InstallLink>, Unavailable>;
    /// Marks a waiting, unexpired (at `now`) link used as `used` says; `Conflict` otherwise.
    async fn claim(&self, id: &str, now: i64, used: &LinkUse) -> Result<(), StoreError>;
    /// Revokes a waiting link; `Conflict` otherwise.
    async fn revoke(&self, id: &str, by: &str, at: i64) -> Result<(), StoreError>;
}

// ---- the platform's logs -------------------------------------------------------------------

/// One log event of the platform (`at`: Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub id: String,
    pub at: i64,
    pub message: String,
}

/// What one read of the platform's log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRead {
    /// Oldest first.
    pub events: Vec<LogEvent>,
    /// False when the read stopped at its bound of calls with more to read.
    pub complete: bool,
}

/// The webhook processor's log (contract §11), read only.
#[async_trait]
pub trait PlatformLog: Send + Sync {
    /// Where the lines are read from (a log group), for the pages.
    fn source(&self) -> &str;
    /// The events matching `pattern` from `from` to `to` (Unix ms), in at most `max_calls` calls.
    async fn read(&self, pattern: &str, from: i64, to: i64, max_calls: usize) -> Result<LogRead, Unavailable>;
}

// ---- the lifecycle event stream ------------------------------------------------------------

/// Amazon EventBridge: one event at a time onto the configured bus.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// The bus, for the pages (`default` for the account's default bus).
    fn name(&self) -> &str;
    /// Puts one event (`source`, `detail-type`, `detail` as JSON). A refusal of the entry (the
    /// bus said no to it) is an error as a failed call is.
    async fn put(&self, source: &str, detail_type: &str, detail: &str) -> Result<(), Unavailable>;
}
