//! `rehearsal`: the console's deployment rehearsed on moto with IAM enforced (`make rehearsal`, part
//! of `make test`; `end2end/scripts/rehearsal.sh` starts moto, bootstraps the local platform and
//! synthesizes the CDK app against it first).
//!
//! 1. The synthesized stack is created in moto's CloudFormation: what moto supports of it, the
//!    secrets and groups with the SDK (moto's CloudFormation has neither), the rest skipped (said
//!    why). The role's policy goes in with its resources widened to `*`: moto authorizes these
//!    services' calls against the resource `*` only, so it checks actions; resources are checked
//!    here, against the real statements, for every call moto recorded.
//! 2. The role is assumed, IAM enforcement turned on, and the console started as a process with the
//!    role's credentials and the function's environment (names resolved from the stack).
//! 3. Every path that calls AWS is driven over HTTP through the origin header CloudFront would add.
//! 4. Passes when moto refused nothing, every recorded call is allowed by the real statements, the
//!    paths made the calls they exist for, and calls outside the policy are refused.
//!
//! Environment: REHEARSAL_TEMPLATE, REHEARSAL_DIR, AWS_ENDPOINT_URL, AWS_REGION, MOTO_LOG, BIN,
//! CONSOLE_ADDR, LINEAR_STANDIN_PORT, DEMO_PASSWORD, LEPTOS_SITE_ROOT, OTHER_TABLE, OTHER_SECRET.
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::Capability;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;

use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL, VIEWER_EMAIL};
use end2end::iam::{self, Call};
use end2end::linear::seed::INITRODE_ID;
use end2end::rehearsal::{self, Fate, Resolver};
use end2end::surface::{PLAIN_ROUTES, SERVER_FUNCTIONS};

const ACCOUNT: &str = "123456789012";

fn var(k: &str) -> Result<String, String> {
    std::env::var(k).map_err(|_| format!("{k} is not set"))
}

fn err<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> String {
    move |e| format!("{step}: {e}")
}

/// A random value of `len` letters and digits (the secrets' `GenerateSecretString`).
fn random_text(len: usize) -> String {
    use rand::Rng;
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len).map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char).collect()
}

struct Deployed {
    env: BTreeMap<String, String>,
    statements: Vec<iam::Statement>,
    role_arn: String,
    origin_secret: String,
    pool_id: String,
}

/// Step 1: the stack in moto (enforcement still off).
async fn deploy(sdk: &aws_config::SdkConfig, template: &Value, region: &str) -> Result<Deployed, String> {
    let console = rehearsal::console(template)?;
    let fates = rehearsal::fates(template, &console);
    let env_template = &template["Resources"][&console.function]["Properties"]["Environment"]["Variables"];
    let platform = env_template["PLATFORM_STACK_NAME"].as_str().unwrap_or("platform").to_owned();
    let stack = format!("{platform}-linear-console");
    let origin_id = env_template["CONSOLE_ORIGIN_SECRET_ARN"]["Ref"].as_str().unwrap_or("").to_owned();
    let mut resolver =
        Resolver { refs: BTreeMap::new(), arns: BTreeMap::new(), region: region.into(), account: ACCOUNT.into(), stack: stack.clone() };

    let (sm, idp) = (aws_sdk_secretsmanager::Client::new(sdk), aws_sdk_cognitoidentityprovider::Client::new(sdk));
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let (mut made, mut origin_secret, mut pool_id) = (BTreeMap::new(), String::new(), String::new());
    let mut streams = Vec::new();
    println!("rehearsal: the console's stack {stack}, resource by resource");
    for (id, kind, fate) in &fates {
        let props = &template["Resources"][id]["Properties"];
        match fate {
            Fate::Sdk if kind == "AWS::SecretsManager::Secret" => {
                let len = props["GenerateSecretString"]["PasswordLength"].as_u64().unwrap_or(32) as usize;
                let value = random_text(len);
                let out =
                    sm.create_secret().name(format!("{stack}-{id}")).secret_string(&value).send().await.map_err(err("create a secret"))?;
                let arn = out.arn.unwrap_or_default();
                if *id == origin_id {
                    origin_secret = value;
                }
                resolver.add(id, kind, &arn);
                made.insert(id.clone(), arn);
                println!("  {id:<58} {kind:<32} made with the SDK (moto's CloudFormation has no secrets)");
            }
            // Its group comes from the stack: made once the stack is.
            Fate::Sdk if kind == "AWS::Logs::LogStream" => {
                streams.push(id.clone());
                println!("  {id:<58} {kind:<32} made with the SDK after the stack (moto's CloudFormation has no log streams)");
            }
            Fate::Sdk => {
                let props = resolver.resolve(props)?;
                let (pool, group) = (props["UserPoolId"].as_str().unwrap_or(""), props["GroupName"].as_str().unwrap_or(""));
                pool_id = pool.to_owned();
                let out = idp.create_group().user_pool_id(pool).group_name(group).send().await;
                let how = match out {
                    Ok(_) => "made with the SDK (moto's CloudFormation has no Cognito groups)",
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_group_exists_exception()) => {
                        "already in the pool (the local platform's bootstrap made it for `make run`)"
                    }
                    Err(e) => return Err(format!("create the group {group}: {e}")),
                };
                resolver.add(id, kind, group);
                made.insert(id.clone(), group.to_owned());
                println!("  {id:<58} {kind:<32} {how}");
            }
            Fate::Stack => println!("  {id:<58} {kind:<32} CloudFormation"),
            Fate::Skipped(why) => println!("  {id:<58} {kind:<32} skipped: {why}"),
        }
    }
    let body = rehearsal::stack_template(template, &console, &fates, &made);
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    cfn.create_stack()
        .stack_name(&stack)
        .template_body(body.to_string())
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .map_err(err("create the console's stack"))?;
    let described = cfn.describe_stacks().stack_name(&stack).send().await.map_err(err("describe the console's stack"))?;
    let status = described.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned()).unwrap_or_default();
    if status != "CREATE_COMPLETE" {
        return Err(format!("the console's stack is {status}"));
    }
    let res = cfn.describe_stack_resources().stack_name(&stack).send().await.map_err(err("list the stack's resources"))?;
    for r in res.stack_resources() {
        let (id, kind, physical) =
            (r.logical_resource_id().unwrap_or(""), r.resource_type().unwrap_or(""), r.physical_resource_id().unwrap_or(""));
        resolver.add(id, kind, physical);
    }
    for id in &streams {
        let props = resolver.resolve(&template["Resources"][id]["Properties"])?;
        let (group, name) = (props["LogGroupName"].as_str().unwrap_or(""), props["LogStreamName"].as_str().unwrap_or(""));
        logs.create_log_stream().log_group_name(group).log_stream_name(name).send().await.map_err(err("create the audit log stream"))?;
        resolver.add(id, "AWS::Logs::LogStream", name);
    }
    let env = resolver.resolve(env_template)?;
    let env: BTreeMap<String, String> =
        env.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned())).collect();
    let policy = resolver.resolve(&template["Resources"][&console.policy]["Properties"]["PolicyDocument"])?;
    let role_arn = resolver.arns.get(&console.role).cloned().ok_or("the role was not made")?;
    if origin_secret.is_empty() {
        return Err("the function's environment names no origin secret of the stack's".into());
    }
    Ok(Deployed { env, statements: iam::statements(&policy), role_arn, origin_secret, pool_id })
}

/// The role's temporary credentials, as Lambda would hand them to the function.
async fn assume(sdk: &aws_config::SdkConfig, role_arn: &str) -> Result<aws_sdk_sts::types::Credentials, String> {
    let out = aws_sdk_sts::Client::new(sdk)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("linear-console-rehearsal")
        .send()
        .await
        .map_err(err("assume the console's role"))?;
    out.credentials.ok_or_else(|| "AssumeRole gave no credentials".into())
}

fn role_config(sdk: &aws_config::SdkConfig, c: &aws_sdk_sts::types::Credentials) -> aws_config::SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "rehearsal-role",
    );
    sdk.to_builder().credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(creds)).build()
}

/// The browser's side: one cookie jar per member, every request with the origin header CloudFront
/// adds and the address chain it appends to.
fn browser(base: &str, origin_secret: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().expect("a URL is a header value"));
    headers.insert("x-origin-verify", origin_secret.parse().expect("letters and digits"));
    headers.insert("x-forwarded-for", "203.0.113.7, 198.51.100.2".parse().expect("addresses"));
    Client::builder().cookie_store(true).redirect(Policy::none()).default_headers(headers).build().expect("a client")
}

struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

struct Drive {
    base: String,
    linear: String,
    origin_secret: String,
    password: String,
    plain: Client,
    failures: Vec<String>,
    steps: usize,
}

impl Drive {
    async fn send(&mut self, step: &str, req: reqwest::RequestBuilder) -> Option<Answer> {
        self.steps += 1;
        match req.send().await {
            Ok(res) => {
                let status = res.status();
                let location = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let body = res.text().await.unwrap_or_default();
                if status.is_server_error() {
                    self.failures.push(format!("{step}: {status} {}", body.chars().take(200).collect::<String>()));
                }
                Some(Answer { status, location, body })
            }
            Err(e) => {
                self.failures.push(format!("{step}: {e}"));
                None
            }
        }
    }

    fn expect(&mut self, step: &str, ok: bool, got: impl std::fmt::Display) {
        if !ok {
            self.failures.push(format!("{step}: got {got}"));
        }
    }

    async fn get(&mut self, c: &Client, path: &str) -> Option<Answer> {
        let req = c.get(format!("{}{path}", self.base));
        self.send(&format!("GET {path}"), req).await
    }

    async fn post(&mut self, c: &Client, path: &str, form: &[(&str, &str)]) -> Option<Answer> {
        let req = c.post(format!("{}{path}", self.base)).form(form);
        self.send(&format!("POST {path}"), req).await
    }

    /// A server function with urlencoded arguments; its JSON answer (Null when it is not JSON).
    async fn call(&mut self, c: &Client, function: &str, args: &str) -> (StatusCode, Value) {
        let req = c
            .post(format!("{}/api/{function}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(args.to_owned());
        match self.send(&format!("/api/{function}"), req).await {
            Some(a) => (a.status, serde_json::from_str(&a.body).unwrap_or(Value::Null)),
            None => (StatusCode::BAD_GATEWAY, Value::Null),
        }
    }

    async fn ok_call(&mut self, c: &Client, function: &str, args: &str) -> Value {
        let (status, body) = self.call(c, function, args).await;
        self.expect(&format!("/api/{function}"), status.is_success(), status);
        body
    }

    async fn sign_in(&mut self, email: &str) -> (Client, String) {
        let c = browser(&self.base, &self.origin_secret);
        let password = self.password.clone();
        let to = self.post(&c, "/login", &[("email", email), ("password", &password), ("next", "/workspaces")]).await;
        (c, to.map(|a| a.location).unwrap_or_default())
    }

    /// A consent through the stand-in, as the browser goes through it: install or reconnect.
    async fn consent(&mut self, admin: &Client, org: &str, step: &str) {
        let Some(res) = self.post(admin, "/linear/connect", &[("workspace", "")]).await else { return };
        let back = match end2end::linear::consent(&self.plain, &self.linear, &res.location, org).await {
            Ok(back) => back,
            Err(e) => return self.failures.push(format!("{step}: {e}")),
        };
        let Some(done) = self.send(&format!("{step}: callback"), admin.get(&back)).await else { return };
        self.expect(step, done.location.contains("notice="), &done.location);
    }

    async fn control(&mut self, path: &str, body: Value) {
        let req = self.plain.post(format!("{}/_control/{path}", self.linear)).json(&body);
        self.send(&format!("stand-in {path}"), req).await;
    }
}

fn row<'a>(users: &'a Value, email: &str) -> Option<&'a Value> {
    users["rows"].as_array()?.iter().find(|r| r["user"]["email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(email)))
}

fn sub_of(page: &Value, email: &str) -> String {
    fn find(v: &Value, email: &str) -> Option<String> {
        match v {
            Value::Object(m) if m.get("email").and_then(Value::as_str) == Some(email) => {
                m.get("sub").and_then(Value::as_str).map(str::to_owned)
            }
            Value::Object(m) => m.values().find_map(|v| find(v, email)),
            Value::Array(a) => a.iter().find_map(|v| find(v, email)),
            _ => None,
        }
    }
    find(page, email).unwrap_or_default()
}

/// Step 3: every path that calls AWS, as members would take them.
async fn drive(d: &mut Drive, console_log: &PathBuf) {
    let org = INITRODE_ID;
    let readyz = d.get(&d.plain.clone(), "/readyz").await;
    d.expect("/readyz", readyz.is_some_and(|a| a.status == StatusCode::OK), "not ready");

    // An admin without a second factor; install, then reconnect.
    let (admin, to) = d.sign_in(ADMIN_EMAIL).await;
    d.expect("the admin's sign-in", to == "/workspaces", &to);
    d.consent(&admin, org, "install").await;
    d.consent(&admin, org, "reconnect").await;
    for page in [
        "/workspaces",
        &format!("/workspaces/{org}"),
        &format!("/workspaces/{org}/users"),
        &format!("/workspaces/{org}/projects"),
        "/users",
        "/audit",
        "/incidents",
        "/settings",
        "/profile",
    ] {
        let a = d.get(&admin, page).await;
        d.expect(page, a.is_some_and(|a| a.status == StatusCode::OK), "not 200");
    }
    for export in ["/audit.csv", "/workspaces.csv", &format!("/workspaces/{org}/users.csv"), &format!("/workspaces/{org}/projects.csv")] {
        let a = d.get(&admin, export).await;
        d.expect(export, a.is_some_and(|a| a.status == StatusCode::OK), "not 200");
    }
    let o = format!("org_id={org}");
    d.ok_call(&admin, "check_workspace", &o).await;
    d.ok_call(&admin, "refresh_workspace", &o).await;

    // People: suggested links, unlink and link again, an invite, a platform user made.
    d.ok_call(&admin, "link_suggested", &format!("{o}&q=")).await;
    let users = d.ok_call(&admin, "workspace_users", &format!("{o}&query[q]=&after_change=true")).await;
    match row(&users, "user@example.com").and_then(|r| Some((r["user"]["id"].as_str()?.to_owned(), r["platform_sub"].as_str()?.to_owned())))
    {
        Some((linear, sub)) => {
            d.ok_call(&admin, "unlink_user", &format!("{o}&linear_user_id={linear}&platform_user_id={sub}")).await;
            d.ok_call(&admin, "link_user", &format!("{o}&linear_user_id={linear}&platform_user_id={sub}&q=")).await;
        }
        None => d.failures.push("link_suggested linked nobody (user@example.com)".into()),
    }
    for (email, function) in [("pat@initrode.example", "invite_user"), ("ira@initrode.example", "create_platform_user")] {
        match row(&users, email).and_then(|r| r["user"]["id"].as_str()) {
            Some(id) => {
                let args = format!("{o}&linear_user_id={id}&q=");
                d.ok_call(&admin, function, &args).await;
            }
            None => d.failures.push(format!("{email} is not among the workspace's members")),
        }
    }
    d.ok_call(&admin, "platform_users", "prefix=").await;

    // Projects: map one to an onboarded repository.
    let projects = d.ok_call(&admin, "workspace_projects", &format!("{o}&query[q]=&query[page]=0")).await;
    match projects["rows"].as_array().and_then(|r| r.first()).and_then(|p| p["id"].as_str()) {
        Some(p) => {
            d.ok_call(&admin, "map_project", &format!("{o}&project_id={p}&repo=initrode/core&label=&team_id=&version=new&q=")).await;
        }
        None => d.failures.push("the workspace shows no projects".into()),
    }
    // Install links: made and revoked.
    let link = d.ok_call(&admin, "create_install_link", "org_id=&only_for=&note=rehearsal&hours=24").await;
    let links = d.ok_call(&admin, "install_links", "").await;
    if let Some(id) = links["rows"].as_array().and_then(|r| r.first()).and_then(|l| l["id"].as_str()).or(link["id"].as_str()) {
        d.ok_call(&admin, "revoke_install_link", &format!("id={id}")).await;
    }

    // An incident: the grant dies at Linear, *Check now* finds it and alerts the topic.
    d.control("revoke-grant", serde_json::json!({ "org_id": org })).await;
    d.call(&admin, "check_workspace", &o).await;
    let incidents = d.ok_call(&admin, "incidents", "query[workspace]=&query[kind]=&query[state]=").await;
    if let Some(kind) = incidents["rows"].as_array().and_then(|r| r.first()).and_then(|i| i["kind"].as_str()) {
        d.call(&admin, "acknowledge_incident", &format!("{o}&kind={kind}&note=rehearsal")).await;
    }
    d.consent(&admin, org, "reconnect after the grant was lost").await;

    // A second factor: the operator enrols the console's own (the pool's MFA is off) and signs in with it.
    let (operator, to) = d.sign_in(OPERATOR_EMAIL).await;
    d.expect("the operator's sign-in", to == "/workspaces", &to);
    let password = d.password.clone();
    let started = d.post(&operator, "/profile/mfa/start", &[("password", &password)]).await;
    d.expect("enrolment", started.is_some_and(|a| a.location == "/profile?enrol=started"), "not started");
    let profile = d.ok_call(&operator, "profile", "").await;
    let secret = profile["enrolment"]["secret"].as_str().unwrap_or("").to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|t| t.as_secs()).unwrap_or(0);
    let verified = d.post(&operator, "/profile/mfa/verify", &[("code", &end2end::totp::code(&secret, now))]).await;
    d.expect("the enrolment's code", verified.is_some_and(|a| a.location == "/profile?notice=mfa-on"), "refused");
    d.post(&operator, "/profile/mfa/saved", &[]).await;
    let (again, to) = d.sign_in(OPERATOR_EMAIL).await;
    d.expect("a sign-in that asks for the code", to == "/login/mfa", &to);
    let next = d.post(&again, "/login/mfa", &[("code", &end2end::totp::code(&secret, now + 30))]).await;
    d.expect("the next code", next.is_some_and(|a| a.location == "/workspaces"), "refused");
    // The admin sees the operator's sessions, ends them, resets the factor; sessions of the admin's own.
    let sub = sub_of(&d.ok_call(&admin, "platform_users", "prefix=operator").await, OPERATOR_EMAIL);
    d.expect("the operator's sub", !sub.is_empty(), "none");
    d.ok_call(&admin, "member_sessions", &format!("sub={sub}")).await;
    d.ok_call(&admin, "end_member_sessions", &format!("sub={sub}")).await;
    d.ok_call(&admin, "reset_second_factor", &format!("sub={sub}")).await;
    let (_second, _) = d.sign_in(ADMIN_EMAIL).await;
    d.ok_call(&admin, "my_sessions", "").await;
    d.ok_call(&admin, "end_my_other_sessions", "").await;
    let (viewer, to) = d.sign_in(VIEWER_EMAIL).await;
    d.expect("the viewer's sign-in", to == "/workspaces", &to);
    for page in ["/workspaces", "/audit", "/users"] {
        d.get(&viewer, page).await;
    }

    // Revoke, then remove, then retry a deletion.
    let revoked = d.ok_call(&admin, "remove_workspace", &format!("{o}&confirm=initrode&mode=revoke")).await;
    d.expect("revoke", !revoked.is_null(), "no answer");
    d.ok_call(&admin, "remove_workspace", &format!("{o}&confirm=initrode&mode=remove&delete_links=on&deactivate_projects=on")).await;
    d.call(&admin, "retry_orphan", &o).await;

    // Every server function and plain route once more, as the admin (an unknown workspace where one
    // is named): whatever AWS reads they make on the way to their answer.
    for f in SERVER_FUNCTIONS {
        let path = f.path.trim_start_matches("/api/");
        d.call(&admin, path, f.args).await;
    }
    for r in PLAIN_ROUTES {
        match r.method {
            "GET" => {
                d.get(&admin, r.path).await;
            }
            _ => {
                let req =
                    admin.post(format!("{}{}", d.base, r.path)).header("content-type", "application/x-www-form-urlencoded").body(r.form);
                d.send(&format!("POST {}", r.path), req).await;
            }
        }
    }
    let out = d.post(&admin, "/logout", &[]).await;
    d.expect("sign out", out.is_some_and(|a| a.status.is_redirection()), "not a redirect");

    // The sweep, on the console's own interval.
    let t = Instant::now();
    while !std::fs::read_to_string(console_log).unwrap_or_default().contains("health sweep done") {
        if t.elapsed() > Duration::from_secs(30) {
            d.failures.push("the sweep did not run within 30 s".into());
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The calls the paths exist for: had one not been made, the rehearsal would not have tested it.
const EXPECTED: &[&str] = &[
    "cloudformation:DescribeStacks",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:GetUserPoolMfaConfig",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
    "events:PutEvents",
    "logs:FilterLogEvents",
    "logs:PutLogEvents",
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "sns:Publish",
];

/// Cognito's software-token calls: on the platform's pool (MFA off) the console keeps its own
/// second factor and makes none of them.
const NEVER_ON_AN_MFA_OFF_POOL: &[&str] = &[
    "cognito-idp:AssociateSoftwareToken",
    "cognito-idp:VerifySoftwareToken",
    "cognito-idp:SetUserMFAPreference",
    "cognito-idp:RespondToAuthChallenge",
];

async fn recorded(plain: &Client, moto: &str) -> Result<Vec<Value>, String> {
    let text = plain.get(format!("{moto}/moto-api/recorder/download-recording")).send().await.map_err(err("the recording"))?;
    let text = text.text().await.map_err(err("the recording"))?;
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}

fn refused(line: &str) -> bool {
    // werkzeug's access line (the request colored on a terminal): `… "POST / HTTP/1.1" 403 -`
    line.contains("\" 403 ")
}

/// Step 4's last part: what the role may not do is refused. moto tells actions apart; resources
/// only the real statements do (moto would allow them, see the module's comment).
async fn probes(role: &aws_config::SdkConfig, d: &Deployed, region: &str, failures: &mut Vec<String>) -> Vec<String> {
    let (other_table, other_secret) = (std::env::var("OTHER_TABLE").unwrap_or_default(), std::env::var("OTHER_SECRET").unwrap_or_default());
    let ddb = aws_sdk_dynamodb::Client::new(role);
    let sm = aws_sdk_secretsmanager::Client::new(role);
    let idp = aws_sdk_cognitoidentityprovider::Client::new(role);
    let sns = aws_sdk_sns::Client::new(role);
    let denied = |why: &Option<String>| why.as_deref().is_some_and(|c| c.contains("AccessDenied"));
    let mut lines = Vec::new();

    let topic = d.env.get("CONSOLE_ALERT_SNS_TOPIC_ARNS").cloned().unwrap_or_default();
    match refusal(sns.publish().topic_arn(&topic).message("rehearsal:the-role-may-publish").send().await) {
        None => {
            lines.push(format!("  {:<72} allowed (a message without spaces)", "sns:Publish to the console's topic (inside the policy)"))
        }
        Some(why) => failures.push(format!("sns:Publish to the console's topic with the role's credentials: {why}")),
    }
    let table = d.env.get("CONSOLE_AUDIT_TABLE").cloned().unwrap_or_default();
    let outside = [
        ("dynamodb:DeleteTable on the console's own audit table", refusal(ddb.delete_table().table_name(&table).send().await)),
        ("secretsmanager:ListSecrets", refusal(sm.list_secrets().send().await)),
        (
            "cognito-idp:AdminDeleteUser in the platform's pool",
            refusal(idp.admin_delete_user().user_pool_id(&d.pool_id).username(ADMIN_EMAIL).send().await),
        ),
        (
            "cognito-idp:AdminAddUserToGroup (a viewer made admin)",
            refusal(
                idp.admin_add_user_to_group()
                    .user_pool_id(&d.pool_id)
                    .username(VIEWER_EMAIL)
                    .group_name("linear-console-admins")
                    .send()
                    .await,
            ),
        ),
        ("sns:CreateTopic", refusal(sns.create_topic().name("rehearsal-not-allowed").send().await)),
    ];
    for (name, why) in outside {
        if denied(&why) {
            lines.push(format!("  {name:<72} refused by moto ({})", why.unwrap_or_default()));
        } else {
            failures.push(format!("{name}: NOT refused ({})", why.unwrap_or_else(|| "it succeeded".into())));
            lines.push(format!("  {name:<72} NOT refused"));
        }
    }

    // Resources moto does not tell apart: the real statements refuse them.
    let key = aws_sdk_dynamodb::types::AttributeValue::S("x".into());
    let resources = [
        (
            "another secret's value (GetSecretValue)",
            Call { action: "secretsmanager:GetSecretValue".into(), resource: other_secret.clone(), signed: true },
            refusal(sm.get_secret_value().secret_id(&other_secret).send().await),
        ),
        (
            "another table (GetItem)",
            Call {
                action: "dynamodb:GetItem".into(),
                resource: format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{other_table}"),
                signed: true,
            },
            refusal(ddb.get_item().table_name(&other_table).key("day", key.clone()).key("sk", key).send().await),
        ),
    ];
    for (name, call, moto) in resources {
        if let Some(sid) = iam::allowed_by(&d.statements, &call.action, &call.resource) {
            failures.push(format!("{name}: allowed by {sid}"));
        }
        let moto = if denied(&moto) { "moto refused it too" } else { "moto allowed it (it checks no resources)" };
        lines.push(format!("  {name:<72} refused by the policy's statements; {moto}"));
    }
    lines
}

/// How a call was refused: its HTTP status and error code (None when it succeeded). moto answers
/// JSON services' refusals in XML, which the SDK cannot read a code from, so the body is searched.
fn refusal<T, E: ProvideErrorMetadata>(r: Result<T, SdkError<E, HttpResponse>>) -> Option<String> {
    let e = r.err()?;
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let body = e.raw_response().and_then(|r| r.body().bytes()).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let from_body = body.split("<Code>").nth(1).and_then(|c| c.split("</Code>").next()).map(str::to_owned);
    Some(format!("{status} {}", e.code().map(str::to_owned).or(from_body).unwrap_or_else(|| "(no code)".into())))
}

async fn run() -> Result<(), String> {
    let (moto, region) = (var("AWS_ENDPOINT_URL")?, var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()));
    let dir = PathBuf::from(var("REHEARSAL_DIR")?);
    let template: Value = serde_json::from_str(&std::fs::read_to_string(var("REHEARSAL_TEMPLATE")?).map_err(err("the template"))?)
        .map_err(err("the template"))?;
    let sdk = end2end::sdk_config(&moto, &region).await;
    let deployed = deploy(&sdk, &template, &region).await?;
    let creds = assume(&sdk, &deployed.role_arn).await?;
    println!("rehearsal: running the console as {}", deployed.role_arn);

    // Enforcement on, from here every call is checked against the role's (widened) policy.
    let plain = Client::builder().redirect(Policy::none()).build().map_err(err("a client"))?;
    for step in ["reset-recording", "start-recording"] {
        plain.post(format!("{moto}/moto-api/recorder/{step}")).send().await.map_err(err("moto's recorder"))?;
    }
    plain.post(format!("{moto}/moto-api/reset-auth")).body("0").send().await.map_err(err("moto's IAM enforcement"))?;
    let moto_log = PathBuf::from(var("MOTO_LOG")?);
    let log_start = std::fs::read_to_string(&moto_log).unwrap_or_default().lines().count();

    let (addr, linear_port, bin) = (var("CONSOLE_ADDR")?, var("LINEAR_STANDIN_PORT")?, PathBuf::from(var("BIN")?));
    let base = format!("http://{addr}");
    let linear = format!("http://127.0.0.1:{linear_port}");
    let log = |name: &str| std::fs::File::create(dir.join(name)).map_err(err("a log file"));
    let mut children = Vec::new();
    children.push(
        tokio::process::Command::new(bin.join("linear-standin"))
            .env("LINEAR_STANDIN_ADDR", format!("127.0.0.1:{linear_port}"))
            .env("LINEAR_STANDIN_REDIRECT_URIS", format!("{base}/linear/callback"))
            .env("LINEAR_CLIENT_ID", "rehearsal-client")
            .env("LINEAR_CLIENT_SECRET", "rehearsal-secret")
            .stdout(log("linear-standin.log")?)
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(err("start the Linear stand-in"))?,
    );
    let console_log = dir.join("console.log");
    let mut console = tokio::process::Command::new(bin.join("linear-console"));
    // Nothing of this shell's environment: the function's, the role's credentials, and what only
    // the rehearsal sets (where moto and the stand-in answer, the Linear client, the site's files).
    console.env_clear().envs(&deployed.env);
    console
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &moto)
        .env("AWS_REGION", &region)
        .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key())
        .env("AWS_SESSION_TOKEN", creds.session_token())
        .env("CONSOLE_ADDR", &addr)
        .env("CONSOLE_PUBLIC_URL", &base)
        .env("CONSOLE_SWEEP_INTERVAL_SECONDS", "5")
        .env("LEPTOS_SITE_ROOT", var("LEPTOS_SITE_ROOT")?)
        .env("LINEAR_CLIENT_ID", "rehearsal-client")
        .env("LINEAR_CLIENT_SECRET", "rehearsal-secret")
        .env("LINEAR_BASE_URL", &linear)
        .env("LINEAR_API_URL", &linear)
        .env("RUST_LOG", "info,aws_config=warn,aws_smithy_runtime=warn")
        .stdout(log("console.log")?)
        .stderr(log("console.err")?)
        .kill_on_drop(true);
    children.push(console.spawn().map_err(err("start the console"))?);

    let mut d = Drive {
        base: base.clone(),
        linear,
        origin_secret: deployed.origin_secret.clone(),
        password: var("DEMO_PASSWORD")?,
        plain: browser(&base, &deployed.origin_secret),
        failures: Vec::new(),
        steps: 0,
    };
    let t = Instant::now();
    loop {
        let ready = d.plain.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success());
        if ready {
            break;
        }
        if t.elapsed() > Duration::from_secs(60) {
            let tail = std::fs::read_to_string(dir.join("console.err")).unwrap_or_default();
            return Err(format!("the console did not get ready with the role's credentials:\n{tail}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drive(&mut d, &console_log).await;
    plain.post(format!("{moto}/moto-api/recorder/stop-recording")).send().await.map_err(err("moto's recorder"))?;
    let moto_lines: Vec<String> =
        std::fs::read_to_string(&moto_log).unwrap_or_default().lines().skip(log_start).map(str::to_owned).collect();
    let denied = moto_lines.iter().filter(|l| refused(l)).count();
    let mut failures = std::mem::take(&mut d.failures);
    let console_text =
        std::fs::read_to_string(&console_log).unwrap_or_default() + &std::fs::read_to_string(dir.join("console.err")).unwrap_or_default();
    if console_text.contains("AccessDenied") {
        failures.push("the console's log names an AccessDenied".into());
    }
    // moto checks a query-protocol body's signature over the body as it re-encodes it (a space
    // becomes `+`), so the SDK's `%20` fails there and nowhere on AWS: SNS's Publish of an alert's
    // text. The console logs the refusal's body; each such refusal is counted out, and the probes
    // below publish with the role's credentials to show the action itself is allowed.
    let signature = console_text.lines().filter(|l| l.contains("SignatureDoesNotMatch")).count();
    let sns_only = console_text.lines().filter(|l| l.contains("SignatureDoesNotMatch")).all(|l| l.contains("SNS"));
    if denied > signature || !sns_only {
        failures
            .push(format!("moto refused {denied} of the console's calls, {signature} of them SNS signatures (see {})", moto_log.display()));
    }

    // Every recorded call against the real statements.
    let calls: Vec<Call> = recorded(&plain, &moto).await?.iter().filter_map(|e| iam::call_of(e, &region, ACCOUNT)).collect();
    let mut table: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    for c in &calls {
        if let Some(seen) = table.get_mut(&(c.action.clone(), c.resource.clone())) {
            seen.0 += 1;
            continue;
        }
        let sid = if c.signed {
            match iam::allowed_by(&deployed.statements, &c.action, &c.resource) {
                Some(sid) => sid.to_owned(),
                None => {
                    failures.push(format!("{} on {}: no statement of the role's policy allows it", c.action, c.resource));
                    "NOT ALLOWED".to_owned()
                }
            }
        } else {
            "(a user's token, not IAM)".to_owned()
        };
        table.insert((c.action.clone(), c.resource.clone()), (1, sid));
    }
    let made: BTreeSet<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    for want in EXPECTED {
        if !made.contains(want) {
            failures.push(format!("no path made a {want} call: that part of the policy went untested"));
        }
    }
    for never in NEVER_ON_AN_MFA_OFF_POOL {
        if made.contains(never) {
            failures.push(format!("{never} on a pool with MFA off"));
        }
    }
    println!(
        "rehearsal: {} requests to the console made {} AWS calls, each checked against the role's real statements:",
        d.steps,
        calls.len()
    );
    for ((action, resource), (n, sid)) in &table {
        let short = resource.rsplit(':').next().unwrap_or(resource);
        println!("  {action:<40} {short:<64} {n:>4}  {sid}");
    }
    println!("rehearsal: moto refused {denied} of them ({signature} SNS Publish with SignatureDoesNotMatch: moto re-encodes the form body's spaces before checking the signature; AWS does not)");

    println!("rehearsal: outside the policy (the role's credentials, enforcement on):");
    let role = role_config(&sdk, &creds);
    for line in probes(&role, &deployed, &region, &mut failures).await {
        println!("{line}");
    }
    // Off again, so that nothing after this run (another stack on this moto) is refused.
    let _ = plain.post(format!("{moto}/moto-api/reset-auth")).body("inf").send().await;
    drop(children);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n  "))
    }
}

#[tokio::main]
async fn main() {
    match run().await {
        Ok(()) => println!("rehearsal: PASS"),
        Err(e) => {
            eprintln!("rehearsal: FAIL\n  {e}");
            std::process::exit(1);
        }
    }
}
