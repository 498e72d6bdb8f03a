use std::collections::HashMap;
use std::sync::OnceLock;

use end2end::bootstrap::{ADMIN_EMAIL, USER_EMAIL};
use end2end::linear::{Settings, Shared, World};
use end2end::{Local, Moto};
use reqwest::redirect::Policy;
use server::adapters::AwsClients;

pub const PASSWORD: &str = "Test-password-1";

static MOTO: OnceLock<Moto> = OnceLock::new();

pub fn moto_endpoint() -> String {
    MOTO.get_or_init(|| Moto::start().expect("start moto (run `make setup` first)")).endpoint.clone()
}

pub struct TestApp {
    pub base: String,
    pub local: Local,
    pub aws: AwsClients,
    /// This console's own Linear stand-in (in process, so tests can look inside).
    pub linear: Linear,
    /// A browser-like client: keeps cookies, follows no redirects, sends our Origin.
    pub client: reqwest::Client,
    /// This console's health sweep, to run a round at a chosen moment.
    /// This console's services (its health sweep, say, to run a round at a chosen moment).
    pub services: std::sync::Arc<console_core::services::Services>,
}

pub fn unique_prefix() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// Bootstraps a fresh prefix and serves the console for it on a free port.
pub async fn spawn_app() -> TestApp {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    spawn_app_for(local, &[]).await
}

/// A Linear stand-in serving on a free port.
#[derive(Clone)]
pub struct Linear {
    pub base: String,
    pub world: Shared,
    pub http: reqwest::Client,
}

impl Linear {
    pub async fn start(redirect_uri: &str) -> Linear {
        let settings = Settings { redirect_uris: vec![redirect_uri.to_owned()], ..Settings::default() };
        let world = World::shared(settings);
        {
            // Secret names are per slug and moto is shared by every test: make the slugs unique.
            let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
            for org in world.lock().await.orgs.iter_mut() {
                org.url_key = format!("{}-{suffix}", org.url_key);
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = end2end::linear::router(world.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Linear { base, world, http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap() }
    }

    /// The slug this stand-in gives an organization.
    pub async fn slug(&self, org_id: &str) -> String {
        self.world.lock().await.org(org_id).map(|o| o.url_key.clone()).expect("seeded org")
    }

    /// Injects a fault through the control API, as the browser tests do.
    pub async fn fail(&self, endpoint: &str, count: usize, kind: &str) {
        let res = self
            .http
            .post(format!("{}/_control/fail", self.base))
            .json(&serde_json::json!({ "endpoint": endpoint, "count": count, "kind": kind }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    pub async fn control(&self, path: &str, body: serde_json::Value) {
        let res = self.http.post(format!("{}/_control/{path}", self.base)).json(&body).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    /// A refresh at Linear's token endpoint: proves a stored refresh token is live.
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        let (id, secret) = {
            let w = self.world.lock().await;
            (w.settings.client_id.clone(), w.settings.client_secret.clone())
        };
        self.http
            .post(format!("{}/oauth/token", self.base))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &id), ("client_secret", &secret)])
            .send()
            .await
            .unwrap()
    }
}

/// A console that reuses no read (`CONSOLE_OVERVIEW_CACHE_SECONDS=0`), for tests that change rows
/// behind its back, as the platform does, and look at once.
pub async fn spawn_app_without_caches() -> TestApp {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    spawn_app_for(local, &[("CONSOLE_OVERVIEW_CACHE_SECONDS", "0")]).await
}

/// Serves another console instance over the same AWS resources (`extra` overrides env).
pub async fn spawn_app_for(local: Local, extra: &[(&str, &str)]) -> TestApp {
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    spawn_app_with(local, extra, AwsClients::from_sdk(&sdk)).await
}

/// As `spawn_app_for`, over the given AWS clients (a test may break one of them).
pub async fn spawn_app_with(local: Local, extra: &[(&str, &str)], aws: AwsClients) -> TestApp {
    spawn(local, extra, aws, None, None).await
}

/// A console serving the built site at `site_root` (its `pkg/` directory).
pub async fn spawn_app_serving(local: Local, site_root: &std::path::Path) -> TestApp {
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    spawn(local, &[], AwsClients::from_sdk(&sdk), None, Some(site_root)).await
}

/// Another console over the same AWS resources and the same Linear stand-in.
pub async fn spawn_app_sharing(other: &TestApp) -> TestApp {
    spawn(other.local.clone(), &[], other.aws.clone(), Some(other.linear.clone()), None).await
}

/// As [`spawn_app_sharing`], with `extra` in its environment (the same configuration, say).
pub async fn spawn_app_sharing_with(other: &TestApp, extra: &[(&str, &str)]) -> TestApp {
    spawn(other.local.clone(), extra, other.aws.clone(), Some(other.linear.clone()), None).await
}

async fn spawn(local: Local, extra: &[(&str, &str)], aws: AwsClients, linear: Option<Linear>, site: Option<&std::path::Path>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let linear = match linear {
        Some(l) => l,
        None => Linear::start(&format!("http://{addr}/linear/callback")).await,
    };
    let mut env: HashMap<String, String> = local.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    env.insert("CONSOLE_ADDR".into(), addr.to_string());
    env.insert("LINEAR_BASE_URL".into(), linear.base.clone());
    env.insert("LINEAR_API_URL".into(), linear.base.clone());
    env.insert("LINEAR_CLIENT_ID".into(), Settings::default().client_id);
    env.insert("LINEAR_CLIENT_SECRET".into(), Settings::default().client_secret);
    env.insert("LINEAR_HTTP_TIMEOUT_SECONDS".into(), "1".into());
    for (k, v) in extra {
        if v.is_empty() {
            env.remove(*k);
        } else {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    // With PLATFORM_STACK_NAME, as at a real start: the stack's outputs fill in the rest.
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    let config = server::load_config(env, Some(&sdk)).await.expect("config");
    let public_origin = config.public_origin();
    let options = match site {
        Some(root) => server::site_options(&config, &root.to_string_lossy(), "pkg", "app"),
        None => server::leptos_options(&config),
    };
    let state = server::build_state_with(config, options, aws.clone()).expect("state");
    let services = state.services.clone();
    tokio::spawn(async move {
        axum::serve(listener, server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    TestApp { base: format!("http://{addr}"), local, aws, linear, client: browser(&public_origin), services }
}

pub fn browser(origin: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", origin.parse().unwrap());
    // A stuck request fails its test instead of holding the whole run.
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(45))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn sign_in_with(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        client.post(self.url("/login")).form(&[("email", email), ("password", password), ("next", "/audit")]).send().await.unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.client, email, password).await
    }

    pub async fn sign_in_admin(&self) {
        let res = self.sign_in(ADMIN_EMAIL, PASSWORD).await;
        assert_eq!(location(&res), "/audit", "admin sign-in failed");
    }

    pub async fn sign_in_user(&self) -> reqwest::Response {
        self.sign_in(USER_EMAIL, PASSWORD).await
    }

    /// Posts a form to a server function as a browser does before the wasm has loaded (a plain
    /// HTML form: urlencoded, `Accept: text/html`); the answer is a 303 to the page to show.
    pub async fn form(&self, endpoint: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("accept", "text/html,application/xhtml+xml")
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// As [`TestApp::form`], for a form that must answer with a redirect: where it goes.
    pub async fn submit(&self, endpoint: &str, fields: &[(&str, &str)]) -> String {
        let res = self.form(endpoint, fields).await;
        let (status, to) = (res.status(), location(&res));
        assert_eq!(status, 303, "{endpoint} answered {status}: {}", res.text().await.unwrap_or_default());
        to
    }

    pub async fn call(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.post(self.url(path)).header("content-type", "application/x-www-form-urlencoded").body("").send().await.unwrap()
    }

    /// Goes through a whole consent: `POST /linear/connect` (with `workspace` for a reconnect), the stand-in's consent
    /// form (picking `org_id`, then `authorize` or `cancel`), and returns the callback's answer.
    pub async fn consent(&self, workspace: Option<&str>, org_id: &str, decision: &str) -> reqwest::Response {
        let callback = self.authorize(workspace, org_id, decision).await;
        self.client.get(&callback).send().await.unwrap()
    }

    /// The consent up to Linear's redirect back: the callback URL, not yet visited.
    pub async fn authorize(&self, workspace: Option<&str>, org_id: &str, decision: &str) -> String {
        let form: Vec<(&str, &str)> = workspace.map(|w| vec![("workspace", w)]).unwrap_or_default();
        let res = self.client.post(self.url("/linear/connect")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 303, "connect should redirect to Linear");
        let authorize = reqwest::Url::parse(&location(&res)).unwrap();
        assert!(authorize.as_str().starts_with(&self.linear.base), "{authorize}");
        let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        form.push(("org_id".into(), org_id.into()));
        form.push(("decision".into(), decision.into()));
        let res = self.linear.http.post(format!("{}/oauth/authorize", self.linear.base)).form(&form).send().await.unwrap();
        assert!(res.status().is_redirection(), "stand-in consent: {}", res.status());
        let back = location(&res);
        assert!(back.starts_with(&self.base), "{back}");
        back
    }

    pub fn idp(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        &self.aws.cognito
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

pub fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned())
}

/// A registry row, read consistently.
pub async fn row(app: &TestApp, org_id: &str) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    app.aws
        .dynamodb
        .get_item()
        .table_name(&app.local.registry_table)
        .key("linear_workspace_id", aws_sdk_dynamodb::types::AttributeValue::S(org_id.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// A workspace's token bundle (`bgagent-linear-oauth-<slug>`) as JSON, if it exists.
pub async fn bundle(app: &TestApp, slug: &str) -> Option<serde_json::Value> {
    let res = app.aws.secrets.get_secret_value().secret_id(format!("bgagent-linear-oauth-{slug}")).send().await;
    res.ok().map(|o| serde_json::from_str(o.secret_string().unwrap()).unwrap())
}

/// Replaces a workspace's token bundle, as a platform Lambda's PutSecretValue does.
pub async fn put_bundle(app: &TestApp, slug: &str, value: &serde_json::Value) {
    app.aws
        .secrets
        .put_secret_value()
        .secret_id(format!("bgagent-linear-oauth-{slug}"))
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
}

/// Fails chosen AWS calls of a console, so a test can break one step while the same service
/// answers every other call (moto itself cannot). Armed with [`Faults::fail`].
#[derive(Clone, Default, Debug)]
pub struct Faults(std::sync::Arc<std::sync::Mutex<Vec<(String, String, usize)>>>, std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Faults {
    /// The next `times` calls of `operation` (e.g. `UpdateItem`, `DeleteSecret`) whose input
    /// mentions `needle` (a table name, or "" for any) fail before they are sent.
    pub fn fail(&self, operation: &str, needle: &str, times: usize) {
        self.0.lock().unwrap().push((operation.to_owned(), needle.to_owned(), times));
    }

    /// Every DynamoDB and Secrets Manager call made so far, as input type names (`QueryInput`, …).
    pub fn calls(&self) -> Vec<String> {
        self.1.lock().unwrap().clone()
    }

    /// Forgets the calls counted so far.
    pub fn reset_calls(&self) {
        self.1.lock().unwrap().clear();
    }

    /// How many armed failures of `operation` are left (none made means no such call was sent).
    pub fn remaining(&self, operation: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|(op, _, _)| op == operation).map(|(_, _, n)| n).sum()
    }

    /// AWS clients whose DynamoDB, Secrets Manager and EventBridge calls go through these faults.
    pub async fn clients(&self, local: &Local) -> AwsClients {
        let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(self.clone()).build()),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::config::Builder::from(&sdk).interceptor(self.clone()).build(),
            ),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            sns: aws_sdk_sns::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            events: aws_sdk_eventbridge::Client::from_conf(
                aws_sdk_eventbridge::config::Builder::from(&sdk).interceptor(self.clone()).build(),
            ),
        }
    }
}

impl aws_sdk_dynamodb::config::Intercept for Faults {
    fn name(&self) -> &'static str {
        "test-faults"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        // The type-erased input's Debug names its type (`UpdateItemInput { table_name: … }`).
        let input = format!("{:?}", context.input());
        // `…:QueryInput { … }` → `QueryInput`
        let name = input.split(" {").next().unwrap_or("").rsplit(':').next().unwrap_or("").to_owned();
        self.1.lock().unwrap().push(name);
        let mut armed = self.0.lock().unwrap();
        if let Some(fault) = armed
            .iter_mut()
            .find(|(op, needle, times)| *times > 0 && input.contains(&format!(":{op}Input {{")) && input.contains(needle.as_str()))
        {
            fault.2 -= 1;
            return Err(format!("injected fault: {} refused", fault.0).into());
        }
        Ok(())
    }
}

/// A console whose AWS calls can be failed one at a time.
pub async fn spawn_app_with_faults() -> (TestApp, Faults) {
    let local = end2end::bootstrap(&moto_endpoint(), "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let faults = Faults::default();
    let aws = faults.clients(&local).await;
    (spawn_app_with(local, &[], aws).await, faults)
}

/// Signs the admin in and installs `org_id` through a whole consent; its slug.
pub async fn installed(app: &TestApp, org_id: &str) -> String {
    app.sign_in_admin().await;
    let res = app.consent(None, org_id, "authorize").await;
    assert!(location(&res).contains("notice=installed"), "{}", location(&res));
    app.linear.slug(org_id).await
}

/// One workspace as its page reads it (the `workspace` server function).
pub async fn detail(app: &TestApp, org_id: &str) -> app::wire::WorkspaceDetail {
    app.client.post(app.url("/api/workspace")).form(&[("org_id", org_id)]).send().await.unwrap().json().await.unwrap()
}

/// A server function's JSON answer, called as a page's script calls it (urlencoded `body`).
pub async fn call_json<T: serde::de::DeserializeOwned>(app: &TestApp, client: &reqwest::Client, path: &str, body: &str) -> T {
    let res =
        client.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body.to_owned()).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// The audit log's events about `workspace` whose action starts with `action`, read afresh.
pub async fn audit_events(app: &TestApp, workspace: &str, action: &str) -> app::wire::AuditPage {
    call_json(app, &app.client, "/api/audit_search", &format!("query[workspace]={workspace}&query[action]={action}&after_change=true"))
        .await
}

/// The key the app seals its sessions table's data with.
pub fn session_seal(app: &TestApp) -> server::adapters::session_seal::SessionSeal {
    server::adapters::session_seal::SessionSeal::from_secret(app.aws.secrets.clone(), app.local.session_key_secret_arn.clone())
}

/// The app's sessions table, as the app reads and writes it (sealed with its key).
pub fn store_of(app: &TestApp) -> server::adapters::dynamodb::sessions::DynamoSessionStore {
    let seal = std::sync::Arc::new(session_seal(app));
    server::adapters::dynamodb::sessions::DynamoSessionStore::new(app.aws.dynamodb.clone(), app.local.sessions_table.clone(), seal)
}

/// Every stored session's item and its data, opened with the app's key.
pub async fn sessions_opened(app: &TestApp) -> Vec<(HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, serde_json::Value)> {
    let seal = session_seal(app);
    let items = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap().items.unwrap_or_default();
    let mut opened = Vec::new();
    for item in items {
        let (Some(id), Some(sealed)) = (item.get("id").and_then(|v| v.as_s().ok()), item.get("sealed").and_then(|v| v.as_b().ok())) else {
            continue;
        };
        let plain = seal.open(id, sealed.as_ref()).await.unwrap().expect("sealed with the app's key");
        let data = serde_json::from_slice(&plain).unwrap();
        opened.push((item.clone(), data));
    }
    opened
}

/// Writes a session's data back, sealed as the app seals it.
pub async fn reseal(app: &TestApp, mut item: HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, data: &serde_json::Value) {
    let id = item["id"].as_s().unwrap().clone();
    let sealed = session_seal(app).seal(&id, data.to_string().as_bytes()).await.unwrap();
    item.insert("sealed".into(), aws_sdk_dynamodb::types::AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(sealed)));
    app.aws.dynamodb.put_item().table_name(&app.local.sessions_table).set_item(Some(item)).send().await.unwrap();
}

/// Every message in an SQS queue, read and deleted until it answers none.
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let got = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            return out;
        }
        for m in msgs {
            out.push(m.body.unwrap_or_default());
            sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle.unwrap()).send().await.unwrap();
        }
    }
}
