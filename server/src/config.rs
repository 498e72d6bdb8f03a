//! Typed configuration, read once from the environment and validated at start.
//! A missing or invalid value stops the process with a message that names the variable.
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

/// Everything the console needs to run. Secrets are `SecretString`: never printed.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub public_url: String,
    pub region: String,
    /// `AWS_ENDPOINT_URL` when set (moto locally); the SDK reads it too.
    pub aws_endpoint: Option<String>,
    pub tables: Tables,
    pub webhook_secret_arn: String,
    /// The console's own secret whose value keys the sealing of the sessions table's data
    /// (`CONSOLE_SESSION_KEY_SECRET_ARN`; the deployment makes it).
    pub session_key_secret_arn: String,
    pub cognito: CognitoConfig,
    pub linear: LinearConfig,
    pub session_ttl: Duration,
    pub access: AccessSettings,
    pub alerts: AlertSettings,
    pub json_logs: bool,
    pub sweep: SweepSettings,
    pub linking: LinkingSettings,
    /// How long the registry overview's rows are reused (dropped by any change through the console).
    pub overview_cache: Duration,
    /// Where every audit event is also written, one JSON line each, for security teams
    /// (`CONSOLE_AUDIT_LOG_GROUP`, stream `CONSOLE_AUDIT_LOG_STREAM`, default `audit`): none, unset.
    pub audit_log: Option<AuditLog>,
    /// What the platform drops, from its webhook processor's log.
    pub drops: DropsConfig,
    /// Where lifecycle events go.
    pub events: EventsConfig,
}

/// The lifecycle event stream (issue 22, part 2).
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// The EventBridge bus (`CONSOLE_EVENT_BUS`, default `default`: the account's default bus);
    /// `None` with `off`.
    pub bus: Option<String>,
    /// Per webhook of `CONSOLE_ALERT_WEBHOOK_URLS`, in order, the events it takes
    /// (`CONSOLE_ALERT_WEBHOOK_EVENTS`, `;` between channels; a missing or empty one: none).
    pub webhook_filters: Vec<console_core::lifecycle::EventFilter>,
}

/// The platform's dropped requests (contract §11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropsConfig {
    /// The processor's log group (`PLATFORM_PROCESSOR_LOG_GROUP`; with `PLATFORM_STACK_NAME` and
    /// none set, found among the stack's resources); `None`: not known.
    pub log_group: Option<String>,
    /// Why it is not known, when the stack was asked and could not tell.
    pub unknown_because: Option<String>,
    pub settings: console_core::services::drops::DropsSettings,
}

/// A CloudWatch Logs stream of the console's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    pub group: String,
    pub stream: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub registry: String,
    pub user_mapping: String,
    pub project_mapping: String,
    /// The platform's repository table (`RepoTableName`), read to say whether a mapped repository
    /// is onboarded; without it the Projects page says it cannot tell.
    pub repositories: Option<String>,
    pub sessions: String,
    pub audit: String,
    pub incidents: String,
}

#[derive(Debug, Clone)]
pub struct CognitoConfig {
    pub user_pool_id: String,
    pub app_client_id: String,
    pub admin_group: String,
    /// `CONSOLE_OPERATOR_GROUP` (default `linear-console-operators`).
    pub operator_group: String,
    /// `CONSOLE_VIEWER_GROUP` (default `linear-console-viewers`).
    pub viewer_group: String,
    /// The `iss` claim ID tokens must carry.
    pub issuer: String,
    /// Where the pool's signing keys are published.
    pub jwks_url: String,
}

#[derive(Debug, Clone)]
pub struct LinearConfig {
    /// None: reuse the credentials of an existing active bundle, as the platform does.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub base_url: String,
    pub api_url: String,
    pub redirect_uri: String,
    /// Per-request limit for calls to Linear (`LINEAR_HTTP_TIMEOUT_SECONDS`, default 10).
    pub timeout: Duration,
}

pub use console_core::services::sweep::SweepSettings;
pub use console_core::services::user_links::LinkingSettings;

/// Where alerts go and when incidents open.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// `CONSOLE_ALERT_SNS_TOPIC_ARNS` (comma-separated).
    pub sns_topics: Vec<String>,
    /// `CONSOLE_ALERT_SLACK_WEBHOOK_URLS` (comma-separated; secrets: their path authorizes a post).
    pub slack: Vec<SecretString>,
    /// `CONSOLE_ALERT_WEBHOOK_URLS` (comma-separated), signed with `CONSOLE_ALERT_WEBHOOK_SECRET`.
    pub webhooks: Vec<SecretString>,
    pub webhook_secret: Option<SecretString>,
    /// `CONSOLE_INCIDENT_DEGRADED_MINUTES` (default 30): how long a degradation lasts before it is one.
    pub degraded_after: Duration,
    /// `CONSOLE_ALERT_REMINDER_MINUTES` (default 240): an open, unacknowledged incident is announced again.
    pub remind_after: Duration,
}

/// How sessions end and how the edge trusts what a request says about itself.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// A session unused this long ends (`CONSOLE_SESSION_IDLE_MINUTES`, default 30).
    pub idle: Duration,
    /// How often a session's group membership and account status are asked of Cognito again
    /// (`CONSOLE_ACCESS_RECHECK_SECONDS`, default 120).
    pub recheck: Duration,
    /// Proxies in front of the console that append the client's address to `X-Forwarded-For`
    /// (`CONSOLE_TRUSTED_PROXY_HOPS`, default 0: the socket's peer is the client).
    pub trusted_proxy_hops: usize,
    /// `Server-Timing` on responses (`CONSOLE_DEBUG_TIMING=1`): a debugging aid, off by default.
    pub debug_timing: bool,
    /// How long a session read is reused in this process (`CONSOLE_SESSION_CACHE_SECONDS`, default
    /// 5, 0 to 30): a session ended on another instance ends here within it.
    pub session_cache: Duration,
    /// Admins must sign in with a second factor (`CONSOLE_REQUIRE_MFA_FOR_ADMINS=1`); one without
    /// is sent to enrol first.
    pub require_mfa_for_admins: bool,
    /// The secret CloudFront adds as the `x-origin-verify` header (`CONSOLE_ORIGIN_SECRET_ARN`): when
    /// set, a request without one of its values is refused (403).
    pub origin_secret_arn: Option<String>,
    /// How often the origin secret's values are read again (`CONSOLE_ORIGIN_SECRET_REFRESH_SECONDS`,
    /// default 300): a rotation is accepted within it.
    pub origin_secret_refresh: Duration,
}

/// Every problem found, so one start reports them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<(String, String)>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for (var, problem) in &self.0 {
            writeln!(f, "  {var}: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The environment, read setting by setting into typed values. Every problem is collected (not
/// just the first), so one start names every variable to fix.
struct Reader<'a> {
    env: &'a HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl Reader<'_> {
    fn get(&self, var: &str) -> Option<String> {
        self.env.get(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn required(&mut self, var: &str) -> String {
        self.get(var).unwrap_or_else(|| {
            self.errors.push((var.to_owned(), "is required but not set".to_owned()));
            String::new()
        })
    }

    fn or(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    fn fail(&mut self, var: &str, problem: impl Into<String>) {
        self.errors.push((var.to_owned(), problem.into()));
    }

    /// An http(s) URL, its trailing slash dropped.
    fn url(&mut self, var: &str, value: String) -> String {
        let ok = (value.starts_with("http://") || value.starts_with("https://"))
            && value.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
        if !value.is_empty() && !ok {
            self.fail(var, format!("must be an http(s) URL, got {value:?}"));
        }
        value.trim_end_matches('/').to_owned()
    }

    /// The one range helper: a number of `unit` within `range`, `default` when unset; anything
    /// else is reported with the range.
    fn ranged<T>(&mut self, var: &str, default: T, range: RangeInclusive<T>, unit: &str) -> T
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.get(var) else { return default };
        match raw.parse::<T>() {
            Ok(v) if range.contains(&v) => v,
            _ => {
                self.fail(var, format!("must be {unit} from {} to {}, got {raw:?}", range.start(), range.end()));
                default
            }
        }
    }

    fn seconds(&mut self, var: &str, default: u64, range: RangeInclusive<u64>) -> Duration {
        Duration::from_secs(self.ranged(var, default, range, "seconds"))
    }

    fn minutes(&mut self, var: &str, default: u64, range: RangeInclusive<u64>) -> Duration {
        Duration::from_secs(60 * self.ranged(var, default, range, "minutes"))
    }

    /// Seconds of something that is off when unset or 0.
    fn seconds_or_off(&mut self, var: &str, max: u64) -> Option<Duration> {
        Some(self.seconds(var, 0, 0..=max)).filter(|d| !d.is_zero())
    }

    /// `1` or `true` turns it on.
    fn flag(&self, var: &str) -> bool {
        matches!(self.or(var, "0").as_str(), "1" | "true")
    }

    /// One of the named `choices` (the first when unset).
    fn one_of<T: Copy>(&mut self, var: &str, choices: &[(&str, T)]) -> T {
        let raw = self.or(var, choices[0].0);
        choices.iter().find(|(name, _)| *name == raw).map(|(_, v)| *v).unwrap_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            self.fail(var, format!("must be one of {}, got {raw:?}", names.join(", ")));
            choices[0].1
        })
    }

    /// A comma-separated list, empty items dropped.
    fn list(&self, var: &str) -> Vec<String> {
        self.get(var).unwrap_or_default().split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    }
}

/// The platform stack's outputs the console reads (contract, "Where the names come from"), each with
/// the variable it stands in for. `ApiUrl` is not read.
pub const STACK_OUTPUTS: [(&str, &str); 6] = [
    ("LinearWorkspaceRegistryTableName", "LINEAR_REGISTRY_TABLE"),
    ("LinearUserMappingTableName", "LINEAR_USER_MAPPING_TABLE"),
    ("LinearProjectMappingTableName", "LINEAR_PROJECT_MAPPING_TABLE"),
    ("LinearWebhookSecretArn", "LINEAR_WEBHOOK_SECRET_ARN"),
    ("UserPoolId", "COGNITO_USER_POOL_ID"),
    ("AppClientId", "COGNITO_APP_CLIENT_ID"),
];

/// Outputs read when the stack has them (a deployment of the platform without them still runs).
pub const OPTIONAL_STACK_OUTPUTS: [(&str, &str); 1] = [("RepoTableName", "PLATFORM_REPO_TABLE")];

/// Set by [`crate::load_config`] (never by an operator) when the platform stack could not tell
/// the processor's log group: the reason the pages give.
pub const PROCESSOR_UNKNOWN: &str = "CONSOLE_INTERNAL_PROCESSOR_UNKNOWN";

/// The stack whose outputs configure the console (`PLATFORM_STACK_NAME`), when one is named.
pub fn stack_name(env: &HashMap<String, String>) -> Option<String> {
    env.get("PLATFORM_STACK_NAME").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The environment with the stack's outputs filled in where no variable is set: an explicit
/// variable wins. An output the console needs that the stack lacks, and no variable replaces,
/// is reported with the output, the variable and what to do.
pub fn with_stack_outputs(
    env: &HashMap<String, String>,
    stack: &str,
    outputs: &HashMap<String, String>,
) -> Result<HashMap<String, String>, ConfigError> {
    let mut env = env.clone();
    let mut errors = Vec::new();
    for (output, var) in STACK_OUTPUTS {
        if env.get(var).is_some_and(|v| !v.trim().is_empty()) {
            continue;
        }
        match outputs.get(output).filter(|v| !v.trim().is_empty()) {
            Some(value) => {
                env.insert(var.to_owned(), value.clone());
            }
            None => errors.push((
                var.to_owned(),
                format!("the platform stack {stack} has no output {output}: check that {stack} is the platform stack, or set {var}"),
            )),
        }
    }
    for (output, var) in OPTIONAL_STACK_OUTPUTS {
        let unset = env.get(var).is_none_or(|v| v.trim().is_empty());
        if let (true, Some(value)) = (unset, outputs.get(output).filter(|v| !v.trim().is_empty())) {
            env.insert(var.to_owned(), value.clone());
        }
    }
    if errors.is_empty() {
        Ok(env)
    } else {
        Err(ConfigError(errors))
    }
}

impl Config {
    /// Pure: builds and validates the configuration from a variable map.
    pub fn from_map(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut r = Reader { env, errors: Vec::new() };

        let addr_raw = r.or("CONSOLE_ADDR", "127.0.0.1:3000");
        let addr = addr_raw.parse::<SocketAddr>().unwrap_or_else(|_| {
            r.fail("CONSOLE_ADDR", format!("must be host:port, got {addr_raw:?}"));
            SocketAddr::from(([127, 0, 0, 1], 3000))
        });
        let public_default = format!("http://{addr}");
        let public_url = r.or("CONSOLE_PUBLIC_URL", &public_default);
        let public_url = r.url("CONSOLE_PUBLIC_URL", public_url);

        let region = r.get("AWS_REGION").or_else(|| r.get("AWS_DEFAULT_REGION")).unwrap_or_else(|| {
            r.fail("AWS_REGION", "is required but not set (or set AWS_DEFAULT_REGION)");
            String::new()
        });
        let aws_endpoint = r.get("AWS_ENDPOINT_URL").map(|v| r.url("AWS_ENDPOINT_URL", v));

        let tables = Tables {
            registry: r.required("LINEAR_REGISTRY_TABLE"),
            user_mapping: r.required("LINEAR_USER_MAPPING_TABLE"),
            project_mapping: r.required("LINEAR_PROJECT_MAPPING_TABLE"),
            repositories: r.get("PLATFORM_REPO_TABLE").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            sessions: r.or("CONSOLE_SESSIONS_TABLE", "linear-console-sessions"),
            audit: r.or("CONSOLE_AUDIT_TABLE", "linear-console-audit"),
            incidents: r.or("CONSOLE_INCIDENTS_TABLE", "linear-console-incidents"),
        };
        let webhook_secret_arn = r.required("LINEAR_WEBHOOK_SECRET_ARN");
        let session_key_secret_arn = r.required("CONSOLE_SESSION_KEY_SECRET_ARN");
        let cognito = CognitoConfig::read(&mut r, &region, aws_endpoint.as_deref());
        let linear = LinearConfig::read(&mut r, &public_url);
        let session_ttl = r.minutes("CONSOLE_SESSION_TTL_MINUTES", 480, 1..=7 * 24 * 60);
        let access = AccessSettings::read(&mut r);
        let alerts = AlertSettings::read(&mut r);
        let json_logs = r.one_of("CONSOLE_LOG_FORMAT", &[("text", false), ("json", true)]);
        // Caches: 0 turns one off.
        let overview_cache = r.seconds("CONSOLE_OVERVIEW_CACHE_SECONDS", 10, 0..=300);
        let sweep = SweepSettings {
            interval: r.seconds_or_off("CONSOLE_SWEEP_INTERVAL_SECONDS", 86_400),
            concurrency: r.ranged("CONSOLE_SWEEP_CONCURRENCY", 8, 1..=64, "a number of workspaces"),
            refresh_within: r.seconds_or_off("CONSOLE_SWEEP_REFRESH_WITHIN_SECONDS", 86_400),
        };
        let redeem_command = r.or("CONSOLE_INVITE_COMMAND", "bgagent linear link {code}");
        if !redeem_command.contains("{code}") {
            r.fail("CONSOLE_INVITE_COMMAND", "must contain {code}");
        }
        let audit_log = r.get("CONSOLE_AUDIT_LOG_GROUP").map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()).map(|group| {
            let stream = r.or("CONSOLE_AUDIT_LOG_STREAM", "audit");
            AuditLog { group, stream }
        });
        if let Some(a) = &audit_log {
            // CloudWatch Logs' names: 1 to 512 characters of letters, digits and `_-./#` (streams: no `:` or `*`).
            let ok = |s: &str, max: usize| {
                !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./#".contains(c))
            };
            if !ok(&a.group, 512) {
                r.fail("CONSOLE_AUDIT_LOG_GROUP", "must be a log group's name (letters, digits and _-./#)");
            }
            if !ok(&a.stream, 512) {
                r.fail("CONSOLE_AUDIT_LOG_STREAM", "must be a log stream's name (letters, digits and _-./#)");
            }
        }
        let drops = DropsConfig {
            log_group: r.get("PLATFORM_PROCESSOR_LOG_GROUP").map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
            unknown_because: r.get(PROCESSOR_UNKNOWN).filter(|w| !w.is_empty()),
            settings: console_core::services::drops::DropsSettings {
                window: Duration::from_secs(86_400 * r.ranged("CONSOLE_DROPS_DAYS", 7, 1..=30, "days")),
                ttl: r.seconds("CONSOLE_DROPS_CACHE_SECONDS", 60, 0..=3600),
                per_hour: r.ranged("CONSOLE_DROPS_ALERT_PER_HOUR", 10, 0..=100_000, "a number of requests (0: no incident)"),
                max_calls: 10,
            },
        };
        if let Some(g) = &drops.log_group {
            if g.len() > 512 || !g.chars().all(|c| c.is_ascii_alphanumeric() || "_-./#$[]".contains(c)) {
                r.fail("PLATFORM_PROCESSOR_LOG_GROUP", "must be a log group's name (/aws/lambda/<the processor function's name>)");
            }
        }
        let bus = r.or("CONSOLE_EVENT_BUS", "default");
        let bus = (bus != "off").then_some(bus);
        if let Some(b) = &bus {
            // A bus name (letters, digits and `._-/`, 256 at most) or its ARN.
            let name_ok = b.len() <= 256 && b.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:".contains(c));
            if !name_ok || (b.contains(':') && !b.starts_with("arn:aws")) {
                r.fail("CONSOLE_EVENT_BUS", "must be an EventBridge bus's name or ARN, or off");
            }
        }
        let mut webhook_filters = Vec::new();
        if let Some(list) = r.get("CONSOLE_ALERT_WEBHOOK_EVENTS") {
            for part in list.split(';') {
                match console_core::lifecycle::EventFilter::parse(part) {
                    Ok(f) => webhook_filters.push(f),
                    Err(bad) => r.fail(
                        "CONSOLE_ALERT_WEBHOOK_EVENTS",
                        format!("{bad:?} is not an event or a prefix of one (workspace.*, person.linked, …)"),
                    ),
                }
            }
            if webhook_filters.len() > alerts.webhooks.len() {
                r.fail("CONSOLE_ALERT_WEBHOOK_EVENTS", "has more filters (separated by ;) than CONSOLE_ALERT_WEBHOOK_URLS has webhooks");
            }
        }
        let events = EventsConfig { bus, webhook_filters };
        let linking = LinkingSettings {
            members_cache: r.seconds("CONSOLE_LINEAR_USERS_CACHE_SECONDS", 300, 0..=86_400),
            pool_cache: Duration::from_secs(60),
            redeem_command,
        };

        if !r.errors.is_empty() {
            return Err(ConfigError(r.errors));
        }
        Ok(Config {
            addr,
            public_url,
            region,
            aws_endpoint,
            tables,
            webhook_secret_arn,
            session_key_secret_arn,
            cognito,
            linear,
            session_ttl,
            access,
            alerts,
            json_logs,
            sweep,
            linking,
            overview_cache,
            audit_log,
            drops,
            events,
        })
    }

    /// The Cognito group of each role.
    pub fn role_groups(&self) -> console_core::access::RoleGroups {
        let c = &self.cognito;
        console_core::access::RoleGroups {
            admin: c.admin_group.clone(),
            operator: c.operator_group.clone(),
            viewer: c.viewer_group.clone(),
        }
    }

    /// Cookies get `Secure` whenever the console is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The origin (scheme://host[:port]) that state-changing requests must come from.
    pub fn public_origin(&self) -> String {
        origin_of(&self.public_url)
    }

    /// The origin of Linear's consent page (where the connect form's redirect goes).
    pub fn linear_origin(&self) -> String {
        origin_of(&self.linear.base_url)
    }
}

impl CognitoConfig {
    fn read(r: &mut Reader, region: &str, aws_endpoint: Option<&str>) -> CognitoConfig {
        let user_pool_id = r.required("COGNITO_USER_POOL_ID");
        if !user_pool_id.is_empty() && !is_pool_id(&user_pool_id) {
            r.fail("COGNITO_USER_POOL_ID", format!("must look like <region>_<id>, got {user_pool_id:?}"));
        }
        let app_client_id = r.required("COGNITO_APP_CLIENT_ID");
        let admin_group = r.or("CONSOLE_ADMIN_GROUP", "linear-console-admins");
        let operator_group = r.or("CONSOLE_OPERATOR_GROUP", "linear-console-operators");
        let viewer_group = r.or("CONSOLE_VIEWER_GROUP", "linear-console-viewers");
        if admin_group == operator_group || admin_group == viewer_group || operator_group == viewer_group {
            r.fail("CONSOLE_OPERATOR_GROUP", "the admin, operator and viewer groups must be three different groups");
        }
        let issuer = r.or("COGNITO_ISSUER", &format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"));
        let issuer = r.url("COGNITO_ISSUER", issuer);
        // moto publishes the keys under its own endpoint; real Cognito under the issuer.
        let jwks_default = match aws_endpoint {
            Some(ep) => format!("{ep}/{user_pool_id}/.well-known/jwks.json"),
            None => format!("{issuer}/.well-known/jwks.json"),
        };
        let jwks_url = r.or("COGNITO_JWKS_URL", &jwks_default);
        let jwks_url = r.url("COGNITO_JWKS_URL", jwks_url);
        CognitoConfig { user_pool_id, app_client_id, admin_group, operator_group, viewer_group, issuer, jwks_url }
    }
}

impl LinearConfig {
    fn read(r: &mut Reader, public_url: &str) -> LinearConfig {
        let client_secret = r.get("LINEAR_CLIENT_SECRET").map(SecretString::from);
        let client_id = r.get("LINEAR_CLIENT_ID");
        if client_id.is_some() != client_secret.is_some() {
            r.fail("LINEAR_CLIENT_ID", "LINEAR_CLIENT_ID and LINEAR_CLIENT_SECRET go together: set both or neither");
        }
        let base_url = r.or("LINEAR_BASE_URL", "https://linear.app");
        let api_url = r.or("LINEAR_API_URL", "https://api.linear.app");
        LinearConfig {
            timeout: r.seconds("LINEAR_HTTP_TIMEOUT_SECONDS", 10, 1..=120),
            client_id,
            client_secret,
            base_url: r.url("LINEAR_BASE_URL", base_url),
            api_url: r.url("LINEAR_API_URL", api_url),
            redirect_uri: format!("{public_url}/linear/callback"),
        }
    }
}

impl AccessSettings {
    fn read(r: &mut Reader) -> AccessSettings {
        AccessSettings {
            idle: r.minutes("CONSOLE_SESSION_IDLE_MINUTES", 30, 1..=24 * 60),
            recheck: r.seconds("CONSOLE_ACCESS_RECHECK_SECONDS", 120, 1..=900),
            trusted_proxy_hops: r.ranged("CONSOLE_TRUSTED_PROXY_HOPS", 0, 0..=5, "a number of proxies"),
            debug_timing: r.flag("CONSOLE_DEBUG_TIMING"),
            session_cache: r.seconds("CONSOLE_SESSION_CACHE_SECONDS", 5, 0..=30),
            require_mfa_for_admins: r.flag("CONSOLE_REQUIRE_MFA_FOR_ADMINS"),
            origin_secret_arn: r.get("CONSOLE_ORIGIN_SECRET_ARN").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()),
            origin_secret_refresh: r.seconds("CONSOLE_ORIGIN_SECRET_REFRESH_SECONDS", 300, 1..=3600),
        }
    }
}

impl AlertSettings {
    fn read(r: &mut Reader) -> AlertSettings {
        let sns_topics = r.list("CONSOLE_ALERT_SNS_TOPIC_ARNS");
        if let Some(bad) = sns_topics.iter().find(|t| !t.starts_with("arn:aws") || !t.contains(":sns:")) {
            r.fail("CONSOLE_ALERT_SNS_TOPIC_ARNS", format!("must be SNS topic ARNs, got {bad:?}"));
        }
        // A webhook URL is https, or http on this machine (a local receiver). Their values are
        // secrets (the path authorizes a post): never in a message.
        let mut urls = |var: &str| -> Vec<SecretString> {
            let urls = r.list(var);
            let web = |u: &String| u.starts_with("https://") || u.starts_with("http://127.0.0.1") || u.starts_with("http://localhost");
            if !urls.iter().all(web) {
                r.fail(var, "must be https:// URLs (their values are not shown: they are secrets)");
            }
            urls.into_iter().map(SecretString::from).collect()
        };
        let slack = urls("CONSOLE_ALERT_SLACK_WEBHOOK_URLS");
        let webhooks = urls("CONSOLE_ALERT_WEBHOOK_URLS");
        AlertSettings {
            sns_topics,
            slack,
            webhooks,
            webhook_secret: r.get("CONSOLE_ALERT_WEBHOOK_SECRET").map(SecretString::from),
            degraded_after: r.minutes("CONSOLE_INCIDENT_DEGRADED_MINUTES", 30, 1..=7 * 24 * 60),
            remind_after: r.minutes("CONSOLE_ALERT_REMINDER_MINUTES", 240, 1..=7 * 24 * 60),
        }
    }
}

fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

fn is_pool_id(v: &str) -> bool {
    match v.split_once('_') {
        Some((region, id)) => {
            !region.is_empty()
                && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !id.is_empty()
                && id.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> HashMap<String, String> {
        [
            ("AWS_REGION", "us-east-1"),
            ("LINEAR_REGISTRY_TABLE", "reg"),
            ("LINEAR_USER_MAPPING_TABLE", "users"),
            ("LINEAR_PROJECT_MAPPING_TABLE", "projects"),
            ("LINEAR_WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:wh"),
            ("CONSOLE_SESSION_KEY_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:sk"),
            ("COGNITO_USER_POOL_ID", "us-east-1_abc123"),
            ("COGNITO_APP_CLIENT_ID", "client"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn minimal_configuration_gets_the_documented_defaults() {
        let c = Config::from_map(&minimal()).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.linear.redirect_uri, "http://127.0.0.1:3000/linear/callback");
        assert_eq!(c.cognito.admin_group, "linear-console-admins");
        assert_eq!(c.cognito.issuer, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123");
        assert_eq!(c.cognito.jwks_url, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123/.well-known/jwks.json");
        assert_eq!(c.tables.sessions, "linear-console-sessions");
        assert_eq!(c.session_ttl, Duration::from_secs(8 * 3600));
        assert!(!c.secure_cookies());
        assert!(!c.json_logs);
        assert!(c.sweep.interval.is_none() && c.sweep.refresh_within.is_none(), "no sweep, no refresh unless asked");
        assert_eq!(c.sweep.concurrency, 8);
    }

    #[test]
    fn every_missing_variable_is_named() {
        let err = Config::from_map(&HashMap::new()).unwrap_err();
        let vars: Vec<&str> = err.0.iter().map(|(v, _)| v.as_str()).collect();
        for v in [
            "AWS_REGION",
            "LINEAR_REGISTRY_TABLE",
            "LINEAR_USER_MAPPING_TABLE",
            "LINEAR_PROJECT_MAPPING_TABLE",
            "LINEAR_WEBHOOK_SECRET_ARN",
            "CONSOLE_SESSION_KEY_SECRET_ARN",
            "COGNITO_USER_POOL_ID",
            "COGNITO_APP_CLIENT_ID",
        ] {
            assert!(vars.contains(&v), "{v} not reported in {err}");
        }
        assert!(err.to_string().contains("COGNITO_APP_CLIENT_ID: is required"));
    }

    #[test]
    fn invalid_values_are_refused_with_the_variable_name() {
        for (var, value) in [
            ("CONSOLE_ADDR", "localhost"),
            ("CONSOLE_PUBLIC_URL", "ftp://x"),
            ("AWS_ENDPOINT_URL", "127.0.0.1:4566"),
            ("COGNITO_USER_POOL_ID", "nounderscore"),
            ("CONSOLE_SESSION_TTL_MINUTES", "0"),
            ("CONSOLE_SESSION_TTL_MINUTES", "abc"),
            ("CONSOLE_LOG_FORMAT", "xml"),
            ("LINEAR_CLIENT_ID", "only-the-id"),
            ("LINEAR_HTTP_TIMEOUT_SECONDS", "0"),
            ("CONSOLE_SWEEP_INTERVAL_SECONDS", "soon"),
            ("CONSOLE_SWEEP_CONCURRENCY", "0"),
        ] {
            let mut env = minimal();
            env.insert(var.to_owned(), value.to_owned());
            let err = Config::from_map(&env).expect_err(var);
            assert_eq!(err.0[0].0, var, "{err}");
        }
    }

    #[test]
    fn numbers_are_read_within_their_range_and_zero_turns_a_cache_off() {
        let mut env = minimal();
        for (var, value) in [
            ("CONSOLE_SESSION_IDLE_MINUTES", "15"),
            ("CONSOLE_OVERVIEW_CACHE_SECONDS", "0"),
            ("CONSOLE_SWEEP_INTERVAL_SECONDS", "600"),
            ("CONSOLE_SWEEP_REFRESH_WITHIN_SECONDS", "0"),
            ("CONSOLE_TRUSTED_PROXY_HOPS", "2"),
            ("CONSOLE_LOG_FORMAT", "json"),
            ("CONSOLE_DEBUG_TIMING", "true"),
        ] {
            env.insert(var.to_owned(), value.to_owned());
        }
        let c = Config::from_map(&env).unwrap();
        assert_eq!(c.access.idle, Duration::from_secs(15 * 60));
        assert_eq!(c.overview_cache, Duration::ZERO);
        assert_eq!(c.linking.members_cache, Duration::from_secs(300), "unset: the default");
        assert_eq!((c.sweep.interval, c.sweep.refresh_within), (Some(Duration::from_secs(600)), None));
        assert_eq!(c.access.trusted_proxy_hops, 2);
        assert!(c.json_logs && c.access.debug_timing);
        env.insert("CONSOLE_SESSION_CACHE_SECONDS".into(), "31".into());
        env.insert("CONSOLE_ALERT_REMINDER_MINUTES".into(), "-1".into());
        let err = Config::from_map(&env).unwrap_err();
        assert_eq!(err.0[0], ("CONSOLE_SESSION_CACHE_SECONDS".to_owned(), "must be seconds from 0 to 30, got \"31\"".to_owned()));
        assert_eq!(err.0[1].0, "CONSOLE_ALERT_REMINDER_MINUTES", "every problem reported at once: {err}");
    }

    #[test]
    fn local_endpoint_moves_the_jwks_and_https_makes_cookies_secure() {
        let mut env = minimal();
        env.insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:4566/".into());
        env.insert("CONSOLE_PUBLIC_URL".into(), "https://console.example.com/".into());
        let c = Config::from_map(&env).unwrap();
        assert_eq!(c.cognito.jwks_url, "http://127.0.0.1:4566/us-east-1_abc123/.well-known/jwks.json");
        assert!(c.secure_cookies());
        assert_eq!(c.public_origin(), "https://console.example.com");
        assert_eq!(c.linear.redirect_uri, "https://console.example.com/linear/callback");
    }

    fn outputs() -> HashMap<String, String> {
        STACK_OUTPUTS.iter().map(|(o, _)| (o.to_string(), format!("from-{o}"))).collect()
    }

    #[test]
    fn stack_outputs_fill_in_what_no_variable_sets() {
        let mut env = minimal();
        for (_, var) in STACK_OUTPUTS {
            env.remove(var);
        }
        env.insert("LINEAR_REGISTRY_TABLE".into(), "explicit-registry".into());
        let filled = with_stack_outputs(&env, "backgroundagent-dev", &outputs()).unwrap();
        assert_eq!(filled["LINEAR_REGISTRY_TABLE"], "explicit-registry", "an explicit variable wins");
        assert_eq!(filled["LINEAR_USER_MAPPING_TABLE"], "from-LinearUserMappingTableName");
        assert_eq!(filled["COGNITO_APP_CLIENT_ID"], "from-AppClientId");
        assert!(!filled.contains_key("PLATFORM_REPO_TABLE"), "an optional output the stack lacks is not required");
        let mut with_repos = outputs();
        with_repos.insert("RepoTableName".into(), "repos".into());
        assert_eq!(with_stack_outputs(&env, "backgroundagent-dev", &with_repos).unwrap()["PLATFORM_REPO_TABLE"], "repos");
        let mut partial = outputs();
        partial.remove("UserPoolId");
        partial.insert("LinearWebhookSecretArn".into(), " ".into());
        let err = with_stack_outputs(&env, "backgroundagent-dev", &partial).unwrap_err();
        let vars: Vec<&str> = err.0.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(vars, ["LINEAR_WEBHOOK_SECRET_ARN", "COGNITO_USER_POOL_ID"], "{err}");
        assert!(err.to_string().contains("has no output UserPoolId"), "{err}");
    }

    #[test]
    fn client_secret_never_appears_in_debug_output() {
        let mut env = minimal();
        env.insert("LINEAR_CLIENT_ID".into(), "id".into());
        env.insert("LINEAR_CLIENT_SECRET".into(), "super-secret-value".into());
        let c = Config::from_map(&env).unwrap();
        assert!(!format!("{c:?}").contains("super-secret-value"));
    }
}
