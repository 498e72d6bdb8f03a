//! The console's server: the composition root. It builds every adapter once (DynamoDB, Secrets
//! Manager, Cognito, SNS, Linear), hands them to `console_core`'s services, and serves the Leptos
//! app around them with axum. `main.rs` only loads configuration and serves.
//!
//! The layers are crates, so the compiler keeps them apart: `console-core` (the rules, the
//! services, the traits they call; no web framework, no AWS SDK), `app` (pages, islands, server
//! functions over the services), and here `adapters` (the traits implemented) and `web` (HTTP).
pub mod adapters;
pub mod config;
pub mod telemetry;
pub mod web;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use console_core::ports::Channel;
use console_core::services::incidents::IncidentRules;
use console_core::services::install::InstallSettings;
use console_core::services::{Backends, Services, Settings};
use leptos::config::LeptosOptions;

use crate::adapters::cognito::directory::CognitoDirectory;
use crate::adapters::cognito::id_token::IdTokenVerifier;
use crate::adapters::cognito::sign_in::CognitoAuth;
use crate::adapters::dynamodb::audit::DynamoAudit;
use crate::adapters::dynamodb::incidents::DynamoIncidents;
use crate::adapters::dynamodb::install_links::DynamoInstallLinks;
use crate::adapters::dynamodb::leases::DynamoLeases;
use crate::adapters::dynamodb::projects::{DynamoProjectMappings, DynamoRepositories};
use crate::adapters::dynamodb::registry::DynamoRegistry;
use crate::adapters::dynamodb::sign_in_attempts::DynamoCounters;
use crate::adapters::dynamodb::user_mappings::DynamoMappings;
use crate::adapters::linear::graphql::LinearGraphql;
use crate::adapters::linear::oauth::LinearOAuthClient;
use crate::adapters::secrets::SecretsVault;
use crate::adapters::{alerting, cognito, linear, AwsClients, RandomIds, SystemClock};
use crate::config::Config;
use crate::web::state::AppState;

pub use web::{router, BODY_LIMIT, SESSION_COOKIE};

/// Where the compiled site (wasm, JS, CSS) is served from; cargo-leptos sets the same variables.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_owned());
    site_options(config, &env("LEPTOS_SITE_ROOT", "target/site"), &env("LEPTOS_SITE_PKG_DIR", "pkg"), &env("LEPTOS_OUTPUT_NAME", "app"))
}

/// The options for the site at `site_root`/`pkg`. The output name is the build's hashed one
/// (`app.<hash>`, which the `assets` build step writes into the package directory) when it is
/// there, so pages link files that may be cached for good; else the plain `name`.
pub fn site_options(config: &Config, site_root: &str, pkg: &str, name: &str) -> LeptosOptions {
    let hashed = std::fs::read_to_string(std::path::Path::new(site_root).join(pkg).join("output-name"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| web::assets::is_hashed_name(s, name));
    LeptosOptions::builder()
        .output_name(hashed.unwrap_or_else(|| name.to_owned()))
        .site_root(site_root.to_owned())
        .site_pkg_dir(pkg.to_owned())
        .site_addr(config.addr)
        .build()
}

/// Why the configuration could not be read: a variable, or the platform stack's outputs.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Stack(#[from] adapters::cloudformation::StackError),
}

/// The configuration from `env`. With `PLATFORM_STACK_NAME`, the platform stack's outputs
/// (CloudFormation `DescribeStacks`, once) fill in every platform name no variable sets. `sdk`:
/// the AWS configuration to ask with (tests pass local credentials); `None` reads the usual chain.
pub async fn load_config(env: HashMap<String, String>, sdk: Option<&aws_config::SdkConfig>) -> Result<Config, LoadError> {
    let Some(stack) = config::stack_name(&env) else { return Ok(Config::from_map(&env)?) };
    let var = |k: &str| env.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let client = match sdk {
        Some(sdk) => aws_sdk_cloudformation::Client::new(sdk),
        None => {
            let Some(region) = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")) else {
                // No region to ask in: the configuration's own check says so, with the rest.
                return Ok(Config::from_map(&env)?);
            };
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(region));
            if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
                loader = loader.endpoint_url(endpoint);
            }
            aws_sdk_cloudformation::Client::new(&loader.load().await)
        }
    };
    let outputs = adapters::cloudformation::stack_outputs(&client, &stack).await?;
    let mut env = config::with_stack_outputs(&env, &stack, &outputs)?;
    // The webhook processor's log group, among the stack's resources, unless one is named.
    if env.get("PLATFORM_PROCESSOR_LOG_GROUP").is_none_or(|g| g.trim().is_empty()) {
        match adapters::platform_log::find_processor_group(&client, &stack).await {
            Ok(Some(group)) => {
                env.insert("PLATFORM_PROCESSOR_LOG_GROUP".into(), group);
            }
            Ok(None) => {
                let why = format!("the platform stack {stack} has no function WebhookProcessorFn: set PLATFORM_PROCESSOR_LOG_GROUP");
                env.insert(config::PROCESSOR_UNKNOWN.into(), why);
            }
            Err(why) => {
                tracing::warn!(stack = %stack, "{why}");
                env.insert(config::PROCESSOR_UNKNOWN.into(), why);
            }
        }
    }
    Ok(Config::from_map(&env)?)
}

/// Why the console could not start once its configuration was read.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not build the HTTP client for {what}")]
    HttpClient {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> Result<AppState, StartError> {
    let aws = AwsClients::load(&config).await;
    build_state_with(config, leptos_options, aws)
}

/// An HTTP client that follows no redirect and gives up after `timeout`.
fn http(what: &'static str, timeout: Duration) -> Result<reqwest::Client, StartError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| StartError::HttpClient { what, source })
}

/// The alert channels, from the configuration.
fn channels(config: &Config) -> Vec<Channel> {
    let a = &config.alerts;
    a.sns_topics
        .iter()
        .map(|t| Channel::Sns { topic_arn: t.clone() })
        .chain(a.slack.iter().map(|u| Channel::Slack { url: u.clone() }))
        .chain(a.webhooks.iter().map(|u| Channel::Webhook { url: u.clone(), secret: a.webhook_secret.clone() }))
        .collect()
}

/// The webhook channels that take lifecycle events, each with its filter.
fn subscribers(config: &Config) -> Vec<console_core::services::lifecycle::Subscriber> {
    let a = &config.alerts;
    a.webhooks
        .iter()
        .zip(config.events.webhook_filters.iter())
        .filter(|(_, f)| !f.is_empty())
        .map(|(u, f)| console_core::services::lifecycle::Subscriber {
            channel: Channel::Webhook { url: u.clone(), secret: a.webhook_secret.clone() },
            filter: f.clone(),
        })
        .collect()
}

/// The state over given AWS clients (tests pass clients with local credentials).
pub fn build_state_with(config: Config, leptos_options: LeptosOptions, aws: AwsClients) -> Result<AppState, StartError> {
    let verifier = IdTokenVerifier::new(
        config.cognito.issuer.clone(),
        config.cognito.app_client_id.clone(),
        config.cognito.jwks_url.clone(),
        http("Cognito's signing keys", Duration::from_secs(10))?,
    );
    // One HTTP client for Linear, shared by OAuth and GraphQL.
    let linear_http = linear::http_client(config.linear.timeout).map_err(|source| StartError::HttpClient { what: "Linear", source })?;
    let l = &config.linear;
    let audit_table = DynamoAudit::new(aws.dynamodb.clone(), config.tables.audit.clone());
    let clock: Arc<dyn console_core::time::Clock> = Arc::new(SystemClock);
    let seal = Arc::new(adapters::session_seal::SessionSeal::from_secret(aws.secrets.clone(), config.session_key_secret_arn.clone()));
    let session_store =
        adapters::dynamodb::sessions::DynamoSessionStore::new(aws.dynamodb.clone(), config.tables.sessions.clone(), seal.clone())
            .with_cache(config.access.session_cache);
    let backends =
        Backends {
            registry: Arc::new(DynamoRegistry::new(aws.dynamodb.clone(), config.tables.registry.clone())),
            vault: Arc::new(SecretsVault::new(aws.secrets.clone())),
            mappings: Arc::new(DynamoMappings::new(aws.dynamodb.clone(), config.tables.user_mapping.clone())),
            install_links: Arc::new(DynamoInstallLinks::new(aws.dynamodb.clone(), config.tables.incidents.clone())),
            project_mappings: Arc::new(DynamoProjectMappings::new(aws.dynamodb.clone(), config.tables.project_mapping.clone())),
            repositories: config
                .tables
                .repositories
                .clone()
                .map(|t| Arc::new(DynamoRepositories::new(aws.dynamodb.clone(), t)) as Arc<dyn console_core::ports::Repositories>),
            oauth: Arc::new(LinearOAuthClient::new(linear_http.clone(), &l.base_url, &l.api_url, &l.redirect_uri)),
            api: Arc::new(LinearGraphql::new(linear_http, &l.api_url)),
            directory: Arc::new(CognitoDirectory::new(aws.cognito.clone(), config.cognito.user_pool_id.clone())),
            audit: Arc::new(adapters::audit_log::StreamedAudit::new(
                audit_table.clone(),
                config.audit_log.clone().map(|to| (aws.logs.clone(), to)),
            )),
            incidents: Arc::new(DynamoIncidents::new(aws.dynamodb.clone(), config.tables.incidents.clone())),
            sender: Arc::new(alerting::HttpSender::new(aws.sns.clone(), http("alert webhooks", Duration::from_secs(5))?)),
            leases: Arc::new(DynamoLeases::new(aws.dynamodb.clone(), config.tables.sessions.clone())),
            counters: Arc::new(DynamoCounters::new(aws.dynamodb.clone(), config.tables.sessions.clone())),
            sessions: Arc::new(session_store.clone()),
            factors: Arc::new(adapters::dynamodb::factors::DynamoFactors::new(aws.dynamodb.clone(), config.tables.incidents.clone(), seal)),
            platform_log: config.drops.log_group.clone().map(|g| {
                Arc::new(adapters::platform_log::ProcessorLog::new(aws.logs.clone(), g)) as Arc<dyn console_core::ports::PlatformLog>
            }),
            events: config.events.bus.clone().map(|bus| {
                Arc::new(adapters::event_bus::EventBridgeBus::new(aws.events.clone(), bus)) as Arc<dyn console_core::ports::EventBus>
            }),
            clock: clock.clone(),
            ids: Arc::new(RandomIds),
        };
    let a = &config.alerts;
    let settings = Settings {
        page_cache: config.overview_cache,
        linking: config.linking.clone(),
        sweep: config.sweep.clone(),
        rules: IncidentRules { degraded_after: a.degraded_after.as_secs() as i64, remind_after: a.remind_after.as_secs() as i64 },
        channels: channels(&config),
        console_url: config.public_url.clone(),
        install: InstallSettings {
            client_id: l.client_id.clone(),
            client_secret: l.client_secret.clone(),
            webhook_secret_arn: config.webhook_secret_arn.clone(),
        },
        role_groups: config.role_groups(),
        recheck: config.access.recheck,
        drops: config.drops.settings.clone(),
        subscribers: subscribers(&config),
    };
    let services = Arc::new(Services::new(backends, settings));
    let mfa = cognito::mfa::Mfa::new(aws.cognito.clone(), config.cognito.user_pool_id.clone());
    let console = app::edge::Console {
        services: services.clone(),
        redirect_uri: l.redirect_uri.clone(),
        public_url: config.public_url.clone(),
        sweep_interval: config.sweep.interval,
        webhook_signed: a.webhook_secret.is_some(),
        proxy_without_hops: Arc::default(),
        profile: web::profile::port(mfa.clone(), services.clone()),
        recent_changes: Default::default(),
        page_cache_seconds: config.overview_cache.as_secs() as i64,
        audit_log: config.audit_log.as_ref().map(|a| format!("group {}, stream {}", a.group, a.stream)),
        drops_unknown: config.drops.unknown_because.clone(),
    };
    let config = Arc::new(config);
    Ok(AppState {
        leptos_options,
        cognito_auth: CognitoAuth::new(aws.cognito.clone(), config.cognito.app_client_id.clone()),
        mfa,
        services,
        console,
        audit_table,
        readiness: web::state::Readiness(console_core::cache::ReadCache::new(web::probes::READY_FOR, clock)),
        export_limits: Default::default(),
        people_pages: Default::default(),
        session_store,
        origin_secret: config.access.origin_secret_arn.as_ref().map(|arn| {
            Arc::new(adapters::origin_secret::OriginSecret::new(aws.secrets.clone(), arn.clone(), config.access.origin_secret_refresh))
        }),
        config,
        aws,
        verifier: Arc::new(verifier),
    })
}
