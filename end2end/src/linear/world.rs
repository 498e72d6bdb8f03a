//! The stand-in's state: seed organizations, the registered OAuth client, codes, tokens,
//! grants, injected faults; and the control API tests use to steer it.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::seed::{self, Org};
use super::Shared;

#[derive(Debug, Clone)]
pub struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub app_name: String,
    pub redirect_uris: Vec<String>,
    pub token_lifetime: u64,
    /// Requests an access token may make per window before `RATELIMITED`.
    pub rate_limit: u32,
    /// Answer `scope` as a JSON array, as Linear does for apps made before 2023-12-01.
    pub scope_as_array: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            client_id: "local-linear-client".into(),
            client_secret: "local-linear-secret".into(),
            app_name: "bgagent (local)".into(),
            redirect_uris: vec!["http://127.0.0.1:3000/linear/callback".into()],
            token_lifetime: 86_399,
            rate_limit: 1_200,
            scope_as_array: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    Timeout,
    /// HTTP 200 with a GraphQL `errors` array (for `graphql`).
    ErrorBody,
}

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub org_id: String,
    pub scope: String,
    pub issued: Instant,
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub org_id: String,
    pub scope: String,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant: u64,
    pub expires: Instant,
    pub used: u32,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub grant: u64,
    pub used: bool,
}

pub struct World {
    pub settings: Settings,
    initial: Settings,
    pub orgs: Vec<Org>,
    pub codes: HashMap<String, CodeGrant>,
    pub grants: HashMap<u64, Grant>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    pub faults: HashMap<String, VecDeque<Fault>>,
    next_grant: u64,
}

/// Codes live this long, as short-lived as Linear's.
pub const CODE_LIFETIME: Duration = Duration::from_secs(120);

impl World {
    pub fn new(settings: Settings) -> World {
        World {
            initial: settings.clone(),
            settings,
            orgs: seed::orgs(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            faults: HashMap::new(),
            next_grant: 1,
        }
    }

    pub fn shared(settings: Settings) -> Shared {
        std::sync::Arc::new(tokio::sync::Mutex::new(World::new(settings)))
    }

    pub fn org(&self, id: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.id == id)
    }

    /// The next injected fault for `endpoint`, if any.
    pub fn take_fault(&mut self, endpoint: &str) -> Option<Fault> {
        self.faults.get_mut(endpoint).and_then(VecDeque::pop_front)
    }

    pub fn new_grant(&mut self, org_id: &str, scope: &str) -> u64 {
        let id = self.next_grant;
        self.next_grant += 1;
        self.grants.insert(id, Grant { org_id: org_id.into(), scope: scope.into(), revoked: false });
        id
    }

    /// A fresh access + refresh pair for a grant.
    pub fn issue(&mut self, grant: u64) -> (String, String) {
        let access = format!("lin_oauth_{}", random_hex(20));
        let refresh = format!("lin_refresh_{}", random_hex(20));
        let expires = Instant::now() + Duration::from_secs(self.settings.token_lifetime);
        self.access.insert(access.clone(), AccessToken { grant, expires, used: 0 });
        self.refresh.insert(refresh.clone(), RefreshToken { grant, used: false });
        (access, refresh)
    }

    /// `n` live token pairs, each of a grant of its own on `org_id` (`read write`).
    pub fn live_tokens(&mut self, org_id: &str, n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|_| {
                let grant = self.new_grant(org_id, "read write");
                self.issue(grant)
            })
            .collect()
    }

    fn reset(&mut self) {
        *self = World::new(self.initial.clone());
    }
}

pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Answers an injected fault: a 503, or a response that never comes in time.
pub async fn fault_response(fault: Fault) -> Response {
    if fault == Fault::Timeout {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    if fault == Fault::ErrorBody {
        let body =
            serde_json::json!({ "errors": [{ "message": "Something went wrong", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] });
        return (StatusCode::OK, Json(body)).into_response();
    }
    (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "error": "temporarily_unavailable" }))).into_response()
}

pub async fn control_reset(State(w): State<Shared>) -> StatusCode {
    w.lock().await.reset();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct FailRequest {
    /// `authorize`, `token`, `revoke` or `graphql`.
    endpoint: String,
    count: usize,
    /// `5xx` (default), `timeout`, or `error_body` (a 200 carrying GraphQL errors).
    #[serde(default)]
    kind: Option<String>,
}

pub async fn control_fail(State(w): State<Shared>, Json(req): Json<FailRequest>) -> Response {
    let fault = match req.kind.as_deref() {
        None | Some("5xx") => Fault::ServerError,
        Some("timeout") => Fault::Timeout,
        Some("error_body") => Fault::ErrorBody,
        Some(other) => return (StatusCode::BAD_REQUEST, format!("unknown fault kind {other}")).into_response(),
    };
    let mut w = w.lock().await;
    w.faults.entry(req.endpoint).or_default().extend(std::iter::repeat_n(fault, req.count));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub struct RevokeGrantRequest {
    org_id: String,
}

/// As if the workspace removed the app on Linear's side: every grant of the org dies.
pub async fn control_revoke_grant(State(w): State<Shared>, Json(req): Json<RevokeGrantRequest>) -> Response {
    let mut w = w.lock().await;
    let mut n = 0;
    for g in w.grants.values_mut().filter(|g| g.org_id == req.org_id) {
        g.revoked = true;
        n += 1;
    }
    Json(serde_json::json!({ "revoked": n })).into_response()
}

#[derive(Deserialize)]
pub struct LifetimeRequest {
    seconds: u64,
}

pub async fn control_token_lifetime(State(w): State<Shared>, Json(req): Json<LifetimeRequest>) -> StatusCode {
    w.lock().await.settings.token_lifetime = req.seconds;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct ScopeFormatRequest {
    array: bool,
}

pub async fn control_scope_format(State(w): State<Shared>, Json(req): Json<ScopeFormatRequest>) -> StatusCode {
    w.lock().await.settings.scope_as_array = req.array;
    StatusCode::NO_CONTENT
}

/// Everything secret the stand-in ever handed out, so tests can prove none of it leaks.
pub async fn control_issued(State(w): State<Shared>) -> Response {
    let w = w.lock().await;
    Json(serde_json::json!({
        "access_tokens": w.access.keys().collect::<Vec<_>>(),
        "refresh_tokens": w.refresh.keys().collect::<Vec<_>>(),
        "client_secret": w.settings.client_secret,
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct OrgRequest {
    id: String,
    name: String,
    url_key: String,
    #[serde(default)]
    teams: Vec<String>,
    /// Names of the projects of a new organization (in its first team).
    #[serde(default)]
    projects: Vec<String>,
}

/// Adds an organization (or renames one, keeping its users), e.g. one whose URL key the
/// platform would refuse.
pub async fn control_org(State(w): State<Shared>, Json(req): Json<OrgRequest>) -> StatusCode {
    let mut w = w.lock().await;
    match w.orgs.iter_mut().find(|o| o.id == req.id) {
        Some(org) => {
            org.name = req.name;
            org.url_key = req.url_key;
            if !req.teams.is_empty() {
                org.teams = req.teams;
            }
        }
        None => {
            let team = req.teams.first().cloned().unwrap_or_else(|| "ENG".into());
            let ns = req.id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) & 0xffff;
            let projects = super::seed::projects_named(ns, &req.projects, &team);
            w.orgs.push(Org { id: req.id, name: req.name, url_key: req.url_key, teams: req.teams, users: Vec::new(), projects })
        }
    }
    StatusCode::NO_CONTENT
}
