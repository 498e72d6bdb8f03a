//! The services: what the console does. Each takes the traits it needs (`crate::ports`), answers
//! typed outcomes, and audits its changes; none knows HTTP or AWS. [`Services`] builds them all
//! once from the backends, for the server's composition root (and for tests, from the fakes).
pub mod access;
pub mod alerts;
pub mod audit;
pub mod drops;
pub mod incidents;
pub mod install;
pub mod install_links;
pub mod lifecycle;
pub mod mapping_cache;
pub mod projects;
pub mod removal;
pub mod resend;
pub mod second_factor;
pub mod sessions;
pub mod sign_in_throttle;
pub mod sweep;
pub mod upkeep;
pub mod user_links;
pub mod workspaces;

use std::sync::Arc;
use std::time::Duration;

use crate::access::RoleGroups;
use crate::cache::Epoch;
use crate::ports::{
    AlertSender, AuditStore, Channel, Directory, EventBus, Factors, Ids, IncidentStore, InstallLinkStore, Leases, LinearApi, LinearOAuth,
    Mappings, MemberSessions, PlatformLog, ProjectMappings, RegistryStore, Repositories, SignInCounters, TokenVault,
};
use crate::time::Clock;

/// Everything outside the process the services call.
pub struct Backends {
    pub registry: Arc<dyn RegistryStore>,
    pub vault: Arc<dyn TokenVault>,
    pub mappings: Arc<dyn Mappings>,
    pub project_mappings: Arc<dyn ProjectMappings>,
    /// The platform's repository table, when configured.
    pub repositories: Option<Arc<dyn Repositories>>,
    pub install_links: Arc<dyn InstallLinkStore>,
    pub oauth: Arc<dyn LinearOAuth>,
    pub api: Arc<dyn LinearApi>,
    pub directory: Arc<dyn Directory>,
    pub audit: Arc<dyn AuditStore>,
    pub incidents: Arc<dyn IncidentStore>,
    pub sender: Arc<dyn AlertSender>,
    pub leases: Arc<dyn Leases>,
    pub counters: Arc<dyn SignInCounters>,
    pub sessions: Arc<dyn MemberSessions>,
    pub factors: Arc<dyn Factors>,
    /// The platform's webhook processor's log, when it is known.
    pub platform_log: Option<Arc<dyn PlatformLog>>,
    /// Amazon EventBridge, unless the lifecycle stream is off.
    pub events: Option<Arc<dyn EventBus>>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
}

/// The services' settings, from the configuration.
pub struct Settings {
    /// How long the pages' reads are shared (`CONSOLE_OVERVIEW_CACHE_SECONDS`).
    pub page_cache: Duration,
    pub linking: user_links::LinkingSettings,
    pub sweep: sweep::SweepSettings,
    pub rules: incidents::IncidentRules,
    pub channels: Vec<Channel>,
    /// The console's public URL, for the links in alerts.
    pub console_url: String,
    pub install: install::InstallSettings,
    pub role_groups: RoleGroups,
    /// How often the roster of the console's groups is read again.
    pub recheck: Duration,
    pub drops: drops::DropsSettings,
    /// The webhook channels that take lifecycle events, with their filters.
    pub subscribers: Vec<lifecycle::Subscriber>,
}

/// Every service, built once.
pub struct Services {
    pub audit: Arc<audit::AuditLog>,
    pub lifecycle: Arc<lifecycle::Lifecycle>,
    /// *Send again* on an undelivered lifecycle event.
    pub resend: Arc<resend::Resend>,
    pub watch: Arc<incidents::Watch>,
    pub upkeep: Arc<upkeep::Upkeep>,
    pub removals: Arc<removal::Removals>,
    pub installer: Arc<install::Installer>,
    pub install_links: Arc<install_links::InstallLinks>,
    pub user_links: Arc<user_links::UserLinks>,
    pub projects: Arc<projects::Projects>,
    pub drops: Arc<drops::Drops>,
    pub workspaces: Arc<workspaces::Workspaces>,
    pub sweeper: Arc<sweep::Sweeper>,
    pub access: Arc<access::Access>,
    pub throttle: Arc<sign_in_throttle::SignInThrottle>,
    pub sessions: Arc<sessions::Sessions>,
    pub second_factors: Arc<second_factor::SecondFactors>,
    /// What the registry's pages show was read in this epoch: bumping it (every change through the
    /// console does) makes the next page read afresh.
    pub views: Epoch,
}

impl Services {
    pub fn new(b: Backends, s: Settings) -> Services {
        // Every change to what the registry's pages show drops them (and the users pages' rows).
        let views = Epoch::default();
        let lifecycle = Arc::new(lifecycle::Lifecycle::new(lifecycle::LifecycleParts {
            bus: b.events.clone(),
            webhooks: s.subscribers,
            sender: b.sender.clone(),
            store: b.audit.clone(),
            clock: b.clock.clone(),
            ids: b.ids.clone(),
            attempts: 3,
            wait: Duration::from_millis(500),
        }));
        let audit =
            Arc::new(audit::AuditLog::new(b.audit.clone(), b.clock.clone(), b.ids.clone(), s.page_cache).publishing(lifecycle.clone()));
        let alerts =
            Arc::new(alerts::Alerts::new(s.channels, b.sender.clone(), b.incidents.clone(), b.clock.clone(), s.console_url.clone()));
        let watch = Arc::new(incidents::Watch::new(
            b.incidents.clone(),
            alerts,
            audit.clone(),
            b.clock.clone(),
            b.ids.clone(),
            s.rules,
            s.page_cache,
        ));
        let mappings = Arc::new(mapping_cache::CachedMappings::new(b.mappings.clone(), s.page_cache, b.clock.clone()));
        let upkeep = Arc::new(upkeep::Upkeep::new(upkeep::UpkeepParts {
            registry: b.registry.clone(),
            vault: b.vault.clone(),
            oauth: b.oauth.clone(),
            api: b.api.clone(),
            audit: audit.clone(),
            watch: watch.clone(),
            clock: b.clock.clone(),
            instance: b.ids.unique(),
            views: views.clone(),
        }));
        let removals = Arc::new(removal::Removals::new(removal::RemovalParts {
            registry: b.registry.clone(),
            mappings: mappings.clone(),
            projects: b.project_mappings.clone(),
            vault: b.vault.clone(),
            oauth: b.oauth.clone(),
            audit: audit.clone(),
            clock: b.clock.clone(),
            views: views.clone(),
        }));
        let installer = Arc::new(install::Installer::new(install::InstallParts {
            registry: b.registry.clone(),
            vault: b.vault.clone(),
            oauth: b.oauth.clone(),
            api: b.api.clone(),
            audit: audit.clone(),
            clock: b.clock.clone(),
            views: views.clone(),
            settings: s.install,
            links: b.install_links.clone(),
        }));
        let install_links = Arc::new(install_links::InstallLinks::new(install_links::InstallLinksParts {
            links: b.install_links.clone(),
            registry: b.registry.clone(),
            audit: audit.clone(),
            clock: b.clock.clone(),
            ids: b.ids.clone(),
        }));
        let workspaces = Arc::new(workspaces::Workspaces::new(workspaces::WorkspacesParts {
            registry: b.registry.clone(),
            vault: b.vault.clone(),
            directory: b.directory.clone(),
            watch: watch.clone(),
            clock: b.clock.clone(),
            ttl: s.page_cache,
            views: views.clone(),
        }));
        let projects = Arc::new(projects::Projects::new(projects::ProjectsParts {
            registry: b.registry.clone(),
            upkeep: upkeep.clone(),
            linear: b.api.clone(),
            mappings: b.project_mappings.clone(),
            repositories: b.repositories.clone(),
            audit: audit.clone(),
            clock: b.clock.clone(),
            linear_cache: s.linking.members_cache,
            page_cache: s.page_cache,
            views: views.clone(),
            workspaces: workspaces.clone(),
        }));
        let user_links = Arc::new(user_links::UserLinks::new(user_links::UserLinksParts {
            registry: b.registry.clone(),
            upkeep: upkeep.clone(),
            linear: b.api.clone(),
            directory: b.directory.clone(),
            mappings: mappings.clone(),
            audit: audit.clone(),
            clock: b.clock.clone(),
            ids: b.ids.clone(),
            settings: s.linking,
            page_cache: s.page_cache,
            views: views.clone(),
        }));
        let drops = Arc::new(drops::Drops::new(drops::DropsParts {
            log: b.platform_log.clone(),
            user_links: user_links.clone(),
            projects: projects.clone(),
            watch: watch.clone(),
            clock: b.clock.clone(),
            settings: s.drops,
        }));
        let sweeper = Arc::new(sweep::Sweeper::new(sweep::SweepParts {
            registry: b.registry.clone(),
            upkeep: upkeep.clone(),
            mappings,
            leases: b.leases.clone(),
            watch: watch.clone(),
            drops: drops.clone(),
            clock: b.clock.clone(),
            instance: b.ids.unique(),
            settings: s.sweep,
        }));
        let access = Arc::new(access::Access::new(b.directory.clone(), s.role_groups, s.recheck, b.clock.clone()));
        let throttle = Arc::new(sign_in_throttle::SignInThrottle::new(b.counters.clone(), audit.clone(), b.clock.clone()));
        let second_factors = Arc::new(second_factor::SecondFactors::new(b.factors.clone(), audit.clone(), b.clock.clone(), b.ids.clone()));
        let sessions = Arc::new(sessions::Sessions::new(b.sessions.clone(), b.directory.clone(), audit.clone(), b.clock.clone()));
        let resend = Arc::new(resend::Resend::new(lifecycle.clone(), audit.clone(), b.audit.clone(), b.clock.clone()));
        Services {
            audit,
            lifecycle,
            resend,
            watch,
            upkeep,
            removals,
            installer,
            install_links,
            user_links,
            projects,
            drops,
            workspaces,
            sweeper,
            access,
            throttle,
            sessions,
            second_factors,
            views,
        }
    }
}
