//! In-memory implementations of every trait the services call, for the services' unit tests (and
//! for other crates' tests and benches, with the `fakes` feature). Each keeps what was written in
//! memory, records every call in a journal shared by all of them (so a test can check the order
//! of calls across stores), and can be told to fail a chosen call ([`Script`]), so a test can walk
//! a service through every failure without AWS or Linear.
mod audit;
mod clock;
mod directory;
mod events;
mod factors;
mod incidents;
mod install_links;
mod linear;
mod mappings;
mod misc;
mod platform_log;
mod projects;
mod registry;
mod sessions;
mod vault;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use audit::FakeAuditStore;
pub use clock::FakeClock;
pub use directory::FakeDirectory;
pub use events::FakeEventBus;
pub use factors::FakeFactors;
pub use incidents::{FakeIncidents, FakeSender};
pub use install_links::FakeInstallLinks;
pub use linear::{FakeApi, FakeOAuth, LinearOrg};
pub use mappings::FakeMappings;
pub use misc::{FakeCounters, FakeIds, FakeLeases};
pub use platform_log::FakePlatformLog;
pub use projects::{FakeProjectMappings, FakeRepositories};
pub use registry::FakeRegistry;
pub use sessions::FakeSessions;
pub use vault::FakeVault;

use crate::access::RoleGroups;
use crate::cache::Epoch;
use crate::error::{Service, StoreError, Unavailable};
use crate::ids::{InviteCode, LinearUserId, LinkKey, OrgId, PlatformUserId, UrlKey};
use crate::incidents::{Incident, IncidentKind};
use crate::ports::Channel;
use crate::records::registry::{RegistryRecord, Status, REVOKED_BY_ADMIN};
use crate::records::user_mapping::{Invite, InviteFor, Link, MappingRow};
use crate::services::access::Access;
use crate::services::alerts::Alerts;
use crate::services::audit::AuditLog;
use crate::services::incidents::{IncidentRules, Watch};
use crate::services::install::{InstallParts, InstallSettings, Installer};
use crate::services::install_links::{InstallLinks, InstallLinksParts};
use crate::services::mapping_cache::CachedMappings;
use crate::services::projects::{Projects, ProjectsParts};
use crate::services::removal::{RemovalParts, Removals};
use crate::services::sessions::Sessions;
use crate::services::sign_in_throttle::SignInThrottle;
use crate::services::sweep::{SweepParts, SweepSettings, Sweeper};
use crate::services::upkeep::{Upkeep, UpkeepParts};
use crate::services::user_links::{LinkingSettings, UserLinks, UserLinksParts};
use crate::services::workspaces::{Workspaces, WorkspacesParts};
use crate::time::{iso_millis, Clock};

/// How a scripted call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    /// The store is down (a `StoreError::Unavailable`, an `Unavailable`, a 5xx at Linear).
    Unavailable,
    /// A conditional write's condition did not hold.
    Conflict,
}

impl Fail {
    pub fn unavailable(self, service: Service) -> Unavailable {
        Unavailable::new(service, "scripted failure")
    }

    pub fn store(self, service: Service) -> StoreError {
        match self {
            Fail::Conflict => StoreError::Conflict,
            Fail::Unavailable => StoreError::Unavailable(self.unavailable(service)),
        }
    }
}

/// The calls one fake was asked to make, and the failures it was told to give.
pub struct Script {
    name: &'static str,
    journal: Journal,
    fails: Mutex<HashMap<&'static str, VecDeque<Fail>>>,
    calls: Mutex<Vec<&'static str>>,
}

/// Every call of every fake, in order (`registry.get`, `vault.write_bundle`, …).
pub type Journal = Arc<Mutex<Vec<String>>>;

impl Script {
    fn new(name: &'static str, journal: &Journal) -> Script {
        Script { name, journal: journal.clone(), fails: Mutex::default(), calls: Mutex::default() }
    }

    /// The next call of `op` fails.
    pub fn fail(&self, op: &'static str, how: Fail) {
        self.fail_times(op, 1, how);
    }

    /// The next `n` calls of `op` fail.
    pub fn fail_times(&self, op: &'static str, n: usize, how: Fail) {
        if let Ok(mut f) = self.fails.lock() {
            f.entry(op).or_default().extend(std::iter::repeat_n(how, n));
        }
    }

    /// Records a call of `op`, and the failure scripted for it, if any.
    pub fn enter(&self, op: &'static str) -> Result<(), Fail> {
        if let Ok(mut c) = self.calls.lock() {
            c.push(op);
        }
        if let Ok(mut j) = self.journal.lock() {
            j.push(format!("{}.{op}", self.name));
        }
        match self.fails.lock().ok().and_then(|mut f| f.get_mut(op).and_then(VecDeque::pop_front)) {
            Some(fail) => Err(fail),
            None => Ok(()),
        }
    }

    pub fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn count(&self, op: &str) -> usize {
        self.calls().iter().filter(|c| **c == op).count()
    }
}

/// Locks a fake's state (a poisoned lock in a test is that test's panic, already reported).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every fake, sharing one clock, one Linear world and one journal, and the services built on them.
pub struct Fakes {
    pub clock: Arc<FakeClock>,
    pub ids: Arc<FakeIds>,
    pub registry: Arc<FakeRegistry>,
    pub vault: Arc<FakeVault>,
    pub mappings: Arc<FakeMappings>,
    pub project_mappings: Arc<FakeProjectMappings>,
    pub repositories: Arc<FakeRepositories>,
    pub install_link_store: Arc<FakeInstallLinks>,
    pub oauth: Arc<FakeOAuth>,
    pub api: Arc<FakeApi>,
    pub directory: Arc<FakeDirectory>,
    pub audit: Arc<FakeAuditStore>,
    pub incidents: Arc<FakeIncidents>,
    pub sender: Arc<FakeSender>,
    pub leases: Arc<FakeLeases>,
    pub counters: Arc<FakeCounters>,
    pub sessions: Arc<FakeSessions>,
    pub factors: Arc<FakeFactors>,
    pub platform_log: Arc<FakePlatformLog>,
    pub events: Arc<FakeEventBus>,
    /// The registry's views epoch the services built here share.
    pub views: Epoch,
    journal: Journal,
}

impl Default for Fakes {
    fn default() -> Fakes {
        Fakes::new()
    }
}

/// Incidents judged as the console's defaults judge them: 30 minutes of degradation, a reminder
/// after 2 hours.
pub const RULES: IncidentRules = IncidentRules { degraded_after: 30 * 60, remind_after: 2 * 3600 };

impl Fakes {
    pub fn new() -> Fakes {
        let journal: Journal = Arc::default();
        let clock = Arc::new(FakeClock::default());
        let world = linear::World::shared();
        Fakes {
            ids: Arc::new(FakeIds::default()),
            registry: Arc::new(FakeRegistry::new(Script::new("registry", &journal))),
            vault: Arc::new(FakeVault::new(Script::new("vault", &journal))),
            mappings: Arc::new(FakeMappings::new(Script::new("mappings", &journal))),
            project_mappings: Arc::new(FakeProjectMappings::new(Script::new("project_mappings", &journal))),
            repositories: Arc::new(FakeRepositories::new(Script::new("repositories", &journal))),
            install_link_store: Arc::new(FakeInstallLinks::new(Script::new("install_links", &journal))),
            oauth: Arc::new(FakeOAuth::new(Script::new("oauth", &journal), world.clone())),
            api: Arc::new(FakeApi::new(Script::new("api", &journal), world)),
            directory: Arc::new(FakeDirectory::new(Script::new("directory", &journal))),
            audit: Arc::new(FakeAuditStore::new(Script::new("audit", &journal))),
            incidents: Arc::new(FakeIncidents::new(Script::new("incidents", &journal))),
            sender: Arc::new(FakeSender::new(Script::new("sender", &journal))),
            leases: Arc::new(FakeLeases::new(Script::new("leases", &journal))),
            counters: Arc::new(FakeCounters::new(Script::new("counters", &journal))),
            sessions: Arc::new(FakeSessions::new(Script::new("sessions", &journal))),
            factors: Arc::new(FakeFactors::new(Script::new("factors", &journal))),
            platform_log: Arc::new(FakePlatformLog::new(Script::new("platform_log", &journal))),
            events: Arc::new(FakeEventBus::new(Script::new("events", &journal))),
            views: Epoch::default(),
            clock,
            journal,
        }
    }

    /// Every call made so far, in order.
    pub fn journal(&self) -> Vec<String> {
        lock(&self.journal).clone()
    }

    /// A fake's script by its name in the journal.
    pub fn script(&self, name: &str) -> &Script {
        match name {
            "registry" => &self.registry.script,
            "vault" => &self.vault.script,
            "mappings" => &self.mappings.script,
            "project_mappings" => &self.project_mappings.script,
            "repositories" => &self.repositories.script,
            "install_links" => &self.install_link_store.script,
            "oauth" => &self.oauth.script,
            "api" => &self.api.script,
            "directory" => &self.directory.script,
            "audit" => &self.audit.script,
            "incidents" => &self.incidents.script,
            "sender" => &self.sender.script,
            "leases" => &self.leases.script,
            "sessions" => &self.sessions.script,
            "factors" => &self.factors.script,
            "platform_log" => &self.platform_log.script,
            "events" => &self.events.script,
            _ => &self.counters.script,
        }
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The members' sessions service.
    pub fn sessions_service(&self) -> Sessions {
        Sessions::new(self.sessions.clone(), self.directory.clone(), Arc::new(self.audit_log()), self.clock())
    }

    /// The console's own second factor.
    pub fn second_factors(&self) -> crate::services::second_factor::SecondFactors {
        crate::services::second_factor::SecondFactors::new(self.factors.clone(), Arc::new(self.audit_log()), self.clock(), self.ids.clone())
    }

    pub fn audit_log(&self) -> AuditLog {
        self.audit_log_caching(Duration::ZERO)
    }

    pub fn audit_log_caching(&self, ttl: Duration) -> AuditLog {
        AuditLog::new(self.audit.clone(), self.clock(), self.ids.clone(), ttl)
    }

    /// The lifecycle stream onto the fake bus, and to `webhooks` (channels with their filters).
    pub fn lifecycle(&self, webhooks: Vec<crate::services::lifecycle::Subscriber>) -> crate::services::lifecycle::Lifecycle {
        crate::services::lifecycle::Lifecycle::new(crate::services::lifecycle::LifecycleParts {
            bus: Some(self.events.clone()),
            webhooks,
            sender: self.sender.clone(),
            store: self.audit.clone(),
            clock: self.clock(),
            ids: self.ids.clone(),
            attempts: 3,
            wait: Duration::from_millis(500),
        })
    }

    /// The audit log, publishing each change's lifecycle event through `lifecycle`.
    pub fn audit_log_publishing(&self, lifecycle: Arc<crate::services::lifecycle::Lifecycle>) -> AuditLog {
        self.audit_log().publishing(lifecycle)
    }

    /// The alerts, to `channels` SNS topics (`…:alerts-0`, `…:alerts-1`, …).
    pub fn alerts(&self, channels: usize) -> Alerts {
        let channels =
            (0..channels).map(|i| Channel::Sns { topic_arn: format!("arn:aws:sns:us-east-1:123456789012:alerts-{i}") }).collect();
        Alerts::new(channels, self.sender.clone(), self.incidents.clone(), self.clock(), "https://console.example".to_owned())
    }

    pub fn watch(&self, channels: usize) -> Watch {
        let alerts = Arc::new(self.alerts(channels));
        Watch::new(self.incidents.clone(), alerts, Arc::new(self.audit_log()), self.clock(), self.ids.clone(), RULES, Duration::ZERO)
    }

    pub fn upkeep(&self) -> Upkeep {
        Upkeep::new(UpkeepParts {
            registry: self.registry.clone(),
            vault: self.vault.clone(),
            oauth: self.oauth.clone(),
            api: self.api.clone(),
            audit: Arc::new(self.audit_log()),
            watch: Arc::new(self.watch(1)),
            clock: self.clock(),
            instance: crate::ports::Ids::unique(self.ids.as_ref()),
            views: self.views.clone(),
        })
    }

    pub fn removals(&self) -> Removals {
        self.removals_with(self.audit_log())
    }

    /// The removals, recording to `audit` (one that publishes, say).
    pub fn removals_with(&self, audit: AuditLog) -> Removals {
        Removals::new(RemovalParts {
            registry: self.registry.clone(),
            mappings: self.mappings.clone(),
            projects: self.project_mappings.clone(),
            vault: self.vault.clone(),
            oauth: self.oauth.clone(),
            audit: Arc::new(audit),
            clock: self.clock(),
            views: self.views.clone(),
        })
    }

    pub fn installer(&self) -> Installer {
        Installer::new(InstallParts {
            registry: self.registry.clone(),
            vault: self.vault.clone(),
            oauth: self.oauth.clone(),
            api: self.api.clone(),
            audit: Arc::new(self.audit_log()),
            clock: self.clock(),
            views: self.views.clone(),
            settings: InstallSettings {
                client_id: Some("client-id".into()),
                client_secret: Some("client-secret".to_owned().into()),
                webhook_secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:stack-webhook-AbCdEf".into(),
            },
            links: self.install_link_store.clone(),
        })
    }

    pub fn user_links(&self) -> UserLinks {
        UserLinks::new(UserLinksParts {
            registry: self.registry.clone(),
            upkeep: Arc::new(self.upkeep()),
            linear: self.api.clone(),
            directory: self.directory.clone(),
            mappings: Arc::new(CachedMappings::new(self.mappings.clone(), Duration::ZERO, self.clock())),
            audit: Arc::new(self.audit_log()),
            clock: self.clock(),
            ids: self.ids.clone(),
            settings: LinkingSettings {
                members_cache: Duration::from_secs(300),
                pool_cache: Duration::from_secs(60),
                redeem_command: "bgagent linear link {code}".into(),
            },
            page_cache: Duration::ZERO,
            views: self.views.clone(),
        })
    }

    pub fn install_links(&self) -> InstallLinks {
        InstallLinks::new(InstallLinksParts {
            links: self.install_link_store.clone(),
            registry: self.registry.clone(),
            audit: Arc::new(self.audit_log()),
            clock: self.clock(),
            ids: self.ids.clone(),
        })
    }

    /// The projects service, on the repository table.
    pub fn projects(&self) -> Projects {
        Projects::new(ProjectsParts {
            registry: self.registry.clone(),
            upkeep: Arc::new(self.upkeep()),
            linear: self.api.clone(),
            mappings: self.project_mappings.clone(),
            repositories: Some(self.repositories.clone()),
            audit: Arc::new(self.audit_log()),
            clock: self.clock(),
            linear_cache: Duration::from_secs(300),
            page_cache: Duration::ZERO,
            views: self.views.clone(),
            workspaces: Arc::new(self.workspaces_caching(Duration::ZERO)),
        })
    }

    pub fn workspaces_caching(&self, ttl: Duration) -> Workspaces {
        Workspaces::new(WorkspacesParts {
            registry: self.registry.clone(),
            vault: self.vault.clone(),
            directory: self.directory.clone(),
            watch: Arc::new(self.watch(0)),
            clock: self.clock(),
            ttl,
            views: self.views.clone(),
        })
    }

    /// A sweeper refreshing tokens that expire within `refresh_within`.
    pub fn sweeper(&self, refresh_within: Option<Duration>) -> Sweeper {
        Sweeper::new(SweepParts {
            registry: self.registry.clone(),
            upkeep: Arc::new(self.upkeep()),
            mappings: self.mappings.clone(),
            leases: self.leases.clone(),
            watch: Arc::new(self.watch(1)),
            drops: Arc::new(self.drops(10)),
            clock: self.clock(),
            instance: crate::ports::Ids::unique(self.ids.as_ref()),
            settings: SweepSettings { interval: Some(Duration::from_secs(30)), concurrency: 4, refresh_within },
        })
    }

    /// What the platform dropped, from the fake processor log: 7 days, reused a minute, an
    /// incident over `per_hour` in an hour, at most two calls per read.
    pub fn drops(&self, per_hour: usize) -> crate::services::drops::Drops {
        self.drops_reading(Some(self.platform_log.clone()), per_hour)
    }

    /// As [`Fakes::drops`], with no processor log known.
    pub fn drops_without_log(&self) -> crate::services::drops::Drops {
        self.drops_reading(None, 0)
    }

    fn drops_reading(&self, log: Option<Arc<dyn crate::ports::PlatformLog>>, per_hour: usize) -> crate::services::drops::Drops {
        use crate::services::drops::{Drops, DropsParts, DropsSettings};
        Drops::new(DropsParts {
            log,
            user_links: Arc::new(self.user_links()),
            projects: Arc::new(self.projects()),
            watch: Arc::new(self.watch(1)),
            clock: self.clock(),
            settings: DropsSettings { window: Duration::from_secs(7 * 86_400), ttl: Duration::from_secs(60), per_hour, max_calls: 2 },
        })
    }

    /// The roster of the groups `admins`, `operators`, `viewers`, read again every `recheck`.
    pub fn access(&self, recheck: Duration) -> Access {
        let groups = RoleGroups { admin: "admins".into(), operator: "operators".into(), viewer: "viewers".into() };
        Access::new(self.directory.clone(), groups, recheck, self.clock())
    }

    pub fn throttle(&self) -> SignInThrottle {
        SignInThrottle::new(self.counters.clone(), Arc::new(self.audit_log()), self.clock())
    }

    /// Puts a workspace in the registry, its bundle in the vault, its organization in Linear's
    /// world (its access token live), and the links and invites asked for.
    pub fn install(&self, w: Workspace) -> Installed {
        let org = OrgId::parse(&format!("org-{}", w.slug)).expect("an org id");
        let key = UrlKey::parse(&w.slug).expect("a url key");
        let (access, refresh) = (format!("lin_oauth_{}", w.slug), format!("lin_refresh_{}", w.slug));
        let now = self.clock.now();
        let expires = now + w.expires_in;
        let arn = self.vault.create(&key.secret_name(), &bundle_json_until(&org, &key, &access, &refresh, &iso_millis(expires)));
        self.api.adopt(&org, &w.slug, &access, &refresh);
        let mut row = RegistryRecord::new(org.clone());
        row.slug = Some(w.slug.clone());
        row.secret_arn = Some(arn.clone());
        row.status = Some(Status::Active);
        row.installed_by = Some("sub-installer".into());
        row.installed_at = Some(iso_millis(now - time::Duration::days(30)));
        row.console.name = Some(w.slug.to_uppercase());
        if !w.unchecked {
            row.console.token_expires_at = Some(iso_millis(expires));
        }
        if w.vault {
            row.vault_provider = Some(key.secret_name());
        }
        if let Some(reason) = &w.revoked {
            row.status = Some(Status::Revoked);
            row.revocation.reason = Some(reason.clone());
            row.revocation.at = Some(iso_millis(now));
        }
        self.registry.put(row);
        for i in 0..w.links {
            let key = LinkKey::new(org.clone(), LinearUserId::parse(&format!("u-linked-{i}")).expect("an id"));
            let sub = PlatformUserId::parse(&format!("s-linked-{i}")).expect("an id");
            self.mappings.put(MappingRow::Link(Link::by_console(key, &sub, &iso_millis(now), "sub-admin")));
        }
        for i in 0..w.invites {
            let who = InviteFor {
                org_id: org.as_str(),
                org_slug: &w.slug,
                user_id: &format!("u-invited-{i}"),
                user_name: "Dana",
                user_email: "dana@x.example",
            };
            let code = crate::ports::Ids::invite_code(self.ids.as_ref());
            self.mappings.put(MappingRow::Invite(Invite::new(code, &who, &iso_millis(now), "sub-admin", now.unix_timestamp())));
        }
        Installed { org, key, arn, access, refresh }
    }
}

/// A workspace to put in place with [`Fakes::install`].
#[derive(Debug, Clone)]
pub struct Workspace {
    slug: String,
    links: usize,
    invites: usize,
    revoked: Option<String>,
    vault: bool,
    unchecked: bool,
    expires_in: time::Duration,
}

impl Workspace {
    /// An active, installed workspace whose token is good for 20 hours.
    pub fn active(slug: &str) -> Workspace {
        Workspace {
            slug: slug.to_owned(),
            links: 0,
            invites: 0,
            revoked: None,
            vault: false,
            unchecked: false,
            expires_in: time::Duration::hours(20),
        }
    }

    pub fn with_links(mut self, n: usize) -> Workspace {
        self.links = n;
        self
    }

    pub fn with_invites(mut self, n: usize) -> Workspace {
        self.invites = n;
        self
    }

    /// Revoked by an admin through the console.
    pub fn revoked(self) -> Workspace {
        self.revoked_by(REVOKED_BY_ADMIN)
    }

    /// Revoked for `reason` (the platform's `refresh_token_rejected`, say).
    pub fn revoked_by(mut self, reason: &str) -> Workspace {
        self.revoked = Some(reason.to_owned());
        self
    }

    /// Onboarded to the AgentCore token vault (`provider_name` on the row).
    pub fn vault(mut self) -> Workspace {
        self.vault = true;
        self
    }

    /// A row the console never checked (no `token_expires_at`).
    pub fn unchecked(mut self) -> Workspace {
        self.unchecked = true;
        self
    }

    pub fn expiring_in(mut self, d: time::Duration) -> Workspace {
        self.expires_in = d;
        self
    }
}

/// What [`Fakes::install`] put in place.
#[derive(Debug, Clone)]
pub struct Installed {
    pub org: OrgId,
    pub key: UrlKey,
    pub arn: String,
    pub access: String,
    pub refresh: String,
}

/// A bundle as the CLI writes it (plus a field the console does not know, which must survive).
pub fn bundle_json(org: &OrgId, key: &UrlKey, access: &str, refresh: &str) -> String {
    bundle_json_until(org, key, access, refresh, "2026-11-24T08:00:00.000Z")
}

fn bundle_json_until(org: &OrgId, key: &UrlKey, access: &str, refresh: &str, expires_at: &str) -> String {
    serde_json::json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": expires_at,
        "scope": "read write app:assignable app:mentionable",
        "client_id": "client-id",
        "client_secret": "client-secret",
        "workspace_id": org.as_str(),
        "workspace_slug": key.as_str(),
        "installed_at": "2026-10-24T12:00:00.000Z",
        "updated_at": "2026-10-24T12:00:00.000Z",
        "installed_by_platform_user_id": "sub-installer",
        "team_hint": "kept",
    })
    .to_string()
}

/// An open incident of `org` first seen at `first_seen`.
pub fn incident(org: &str, kind: IncidentKind, first_seen: i64) -> Incident {
    Incident {
        id: format!("inc-{org}-{}", kind.code()),
        org_id: org.to_owned(),
        slug: Some(org.trim_start_matches("org-").to_owned()),
        name: None,
        kind,
        first_seen,
        last_seen: first_seen,
        resolved_at: None,
        evidence: "seen".into(),
        acknowledged_by: None,
        note: None,
        snoozed_until: None,
        snoozed_until_resolved: false,
    }
}

/// The invite code made from `seed` (distinct seeds, distinct codes; the same seed, the same code).
pub fn code(seed: usize) -> InviteCode {
    let mut n = seed as u64;
    InviteCode::from_picks(|| {
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (n >> 33) as usize
    })
}
