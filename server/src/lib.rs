//! The console's server: builds the state from configuration and the axum router
//! around the Leptos app. `main.rs` only loads configuration and serves.
//!
//! Layers, each a folder; dependencies point one way (web → services → domain/adapters,
//! checked by `tests/api/layers.rs`): `web` (HTTP), `services` (what the console does),
//! `adapters` (AWS and Linear), `domain` (the platform's records and pure rules).
pub mod adapters;
pub mod config;
pub mod domain;
pub mod services;
pub mod telemetry;
pub mod web;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::ports::Ports;
use leptos::config::LeptosOptions;

use crate::adapters::cognito::id_token::IdTokenVerifier;
use crate::adapters::cognito::sign_in::CognitoAuth;
use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::AwsClients;
use crate::adapters::{cognito, dynamodb, linear, secrets};
use crate::config::Config;
use crate::services::{
    access, alerts, incidents, install, removal, sign_in_throttle, sweep, upkeep, user_links, user_links_port, workspaces,
};
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
    Ok(Config::from_map(&config::with_stack_outputs(&env, &stack, &outputs)?)?)
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

/// The incident bookkeeping and its alert channels, from the configuration.
fn incidents_watch(config: &Config, aws: &AwsClients, audit: AuditLog) -> Result<incidents::Watch, StartError> {
    use adapters::alerting::Channel;
    let a = &config.alerts;
    let channels: Vec<Channel> = a
        .sns_topics
        .iter()
        .map(|t| Channel::Sns { topic_arn: t.clone() })
        .chain(a.slack.iter().map(|u| Channel::Slack { url: u.clone() }))
        .chain(a.webhooks.iter().map(|u| Channel::Webhook { url: u.clone(), secret: a.webhook_secret.clone() }))
        .collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| StartError::HttpClient { what: "alert webhooks", source })?;
    let store = dynamodb::incidents::Incidents::new(aws.dynamodb.clone(), config.tables.incidents.clone());
    let sender = adapters::alerting::Sender::new(aws.sns.clone(), http);
    let alerts = Arc::new(alerts::Alerts::new(channels, sender, store.clone(), config.public_url.clone()));
    let rules =
        incidents::IncidentRules { degraded_after: a.degraded_after.as_secs() as i64, remind_after: a.remind_after.as_secs() as i64 };
    Ok(incidents::Watch::new(store, alerts, audit, rules).with_read_cache(config.overview_cache))
}

/// The state over given AWS clients (tests pass clients with local credentials).
pub fn build_state_with(config: Config, leptos_options: LeptosOptions, aws: AwsClients) -> Result<AppState, StartError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|source| StartError::HttpClient { what: "Cognito's signing keys", source })?;
    let verifier =
        IdTokenVerifier::new(config.cognito.issuer.clone(), config.cognito.app_client_id.clone(), config.cognito.jwks_url.clone(), http);
    let audit = AuditLog::new(aws.dynamodb.clone(), config.tables.audit.clone()).with_cache(config.overview_cache);
    let registry = dynamodb::registry::Registry::new(aws.dynamodb.clone(), config.tables.registry.clone());
    let tokens = secrets::TokenStore::new(aws.secrets.clone());
    let mappings = dynamodb::user_mappings::UserMappings::new(aws.dynamodb.clone(), config.tables.user_mapping.clone())
        .with_cache(config.overview_cache);
    let config = Arc::new(config);
    // One HTTP client and one OAuth adapter for Linear, shared by every service.
    let linear_http = linear::http_client(config.linear.timeout).map_err(|source| StartError::HttpClient { what: "Linear", source })?;
    let linear_oauth =
        linear::oauth::LinearOAuth::new(linear_http.clone(), &config.linear.base_url, &config.linear.api_url, &config.linear.redirect_uri);
    let installer = Arc::new(install::Installer::new(config.clone(), registry.clone(), tokens.clone(), linear_http.clone(), audit.clone()));
    let linear_api = linear::graphql::LinearApi::new(linear_http, &config.linear.api_url);
    let watch = incidents_watch(&config, &aws, audit.clone())?;
    let upkeep = Arc::new(
        upkeep::TokenUpkeep::new(registry.clone(), tokens.clone(), linear_oauth.clone(), linear_api.clone(), audit.clone())
            .with_watch(watch.clone()),
    );
    let directory = cognito::directory::Directory::new(aws.cognito.clone(), config.cognito.user_pool_id.clone());
    let overview = workspaces::OverviewCache::new(config.overview_cache);
    let mfa = cognito::mfa::Mfa::new(aws.cognito.clone(), config.cognito.user_pool_id.clone());
    let access = Arc::new(access::Access::new(directory.clone(), config.role_groups(), config.access.recheck));
    let user_links = Arc::new(
        user_links::UserLinks::new(
            registry.clone(),
            upkeep.clone(),
            linear_api,
            directory.clone(),
            mappings.clone(),
            config.linking.clone(),
            audit.clone(),
        )
        .with_page_cache(config.overview_cache, overview.epoch()),
    );
    let removal = Arc::new(removal::Removal::new(registry.clone(), mappings.clone(), tokens.clone(), linear_oauth, audit.clone()));
    let leases = dynamodb::leases::Leases::new(aws.dynamodb.clone(), config.tables.sessions.clone());
    let sweeper =
        sweep::Sweeper::new(registry.clone(), upkeep.clone(), mappings.clone(), leases, config.sweep.clone()).with_watch(watch.clone());
    let ports = Ports {
        registry: Arc::new(
            workspaces::Workspaces::new(registry.clone(), tokens, directory.clone(), overview.clone()).with_watch(watch.clone()),
        ),
        user_links: Arc::new(user_links_port::UserLinksAdapter { links: user_links.clone() }),
        audit: Arc::new(audit.clone()),
        install: installer.clone(),
        workspace_actions: Arc::new(web::workspace_actions::WorkspaceActions {
            upkeep: upkeep.clone(),
            removal,
            installer: installer.clone(),
            overview: overview.clone(),
        }),
        link_actions: Arc::new(web::user_links::LinkActions { links: user_links }),
        profile: web::profile::port(mfa.clone()),
        incidents: Arc::new(web::incidents::IncidentActions {
            watch: watch.clone(),
            sweep_interval: config.sweep.interval,
            webhook_signed: config.alerts.webhook_secret.is_some(),
            audit: audit.clone(),
        }),
    };
    Ok(AppState {
        leptos_options,
        cognito_auth: CognitoAuth::new(aws.cognito.clone(), config.cognito.app_client_id.clone()),
        mfa,
        installer,
        overview,
        sweeper,
        access,
        readiness: Default::default(),
        throttle: sign_in_throttle::SignInThrottle::new(
            dynamodb::sign_in_attempts::SignInAttempts::new(aws.dynamodb.clone(), config.tables.sessions.clone()),
            audit.clone(),
        ),
        export_limits: Default::default(),
        config,
        aws,
        verifier: Arc::new(verifier),
        audit,
        ports,
    })
}
