//! Linear in memory: organizations with their members, the tokens it issued, and what its OAuth
//! and GraphQL endpoints answer, with failures a test chooses.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::{lock, Fail, Script};
use crate::ids::{OrgId, ProjectId};
use crate::ports::{
    ApiError, AppCredentials, Authorization, EndpointError, InstallFacts, IssuedTokens, LinearApi, LinearOAuth, Organization, Progress,
    Revocation, TokenError, TokenKind, Viewer,
};
use crate::records::members::LinearUser;
use crate::records::projects::{LinearProject, ProjectTeam};

/// An organization at Linear.
#[derive(Debug, Clone)]
pub struct LinearOrg {
    pub id: String,
    pub url_key: String,
    pub name: String,
    pub members: Vec<LinearUser>,
    pub projects: Vec<LinearProject>,
}

impl LinearOrg {
    pub fn new(id: &str, url_key: &str, name: &str) -> LinearOrg {
        LinearOrg { id: id.into(), url_key: url_key.into(), name: name.into(), members: Vec::new(), projects: Vec::new() }
    }
}

/// What Linear knows: organizations, live access tokens (→ organization), refresh tokens
/// (→ organization), codes not yet exchanged (→ organization).
#[derive(Default)]
pub(super) struct World {
    orgs: HashMap<String, LinearOrg>,
    access: HashMap<String, String>,
    refresh: HashMap<String, String>,
    codes: HashMap<String, String>,
    issued: usize,
}

impl World {
    pub(super) fn shared() -> Arc<Mutex<World>> {
        Arc::default()
    }

    fn issue(&mut self, org: &str) -> (String, String) {
        self.issued += 1;
        let (a, r) = (format!("lin_oauth_{}", self.issued), format!("lin_refresh_{}", self.issued));
        self.access.insert(a.clone(), org.to_owned());
        self.refresh.insert(r.clone(), org.to_owned());
        (a, r)
    }
}

fn tokens(access: String, refresh: String) -> IssuedTokens {
    IssuedTokens {
        access_token: SecretString::from(access),
        refresh_token: SecretString::from(refresh),
        expires_in: Duration::from_secs(86_399),
        scope: crate::ports::SCOPES.to_owned(),
    }
}

pub struct FakeOAuth {
    pub script: Script,
    world: Arc<Mutex<World>>,
    revoked: Mutex<Vec<TokenKind>>,
    refresh_error: Mutex<Option<TokenError>>,
    counts: Mutex<(usize, usize, usize)>,
}

impl FakeOAuth {
    pub(super) fn new(script: Script, world: Arc<Mutex<World>>) -> FakeOAuth {
        FakeOAuth { script, world, revoked: Mutex::default(), refresh_error: Mutex::default(), counts: Mutex::default() }
    }

    /// A code Linear would send back after consent to `org`.
    pub fn code_for(&self, org: &OrgId) -> String {
        let mut w = lock(&self.world);
        let code = format!("code-{}-{}", org, w.codes.len());
        w.codes.insert(code.clone(), org.to_string());
        code
    }

    /// Every refresh from now on is refused with this OAuth error code.
    pub fn reject_refresh(&self, code: &str) {
        self.fail_refresh(TokenError::Rejected { code: code.to_owned() });
    }

    pub fn fail_refresh(&self, e: TokenError) {
        *lock(&self.refresh_error) = Some(e);
    }

    /// The tokens revoked so far, by kind, in order.
    pub fn revoked(&self) -> Vec<TokenKind> {
        lock(&self.revoked).clone()
    }

    pub fn exchanges(&self) -> usize {
        lock(&self.counts).0
    }

    pub fn refreshes(&self) -> usize {
        lock(&self.counts).1
    }
}

fn scripted(f: Fail) -> TokenError {
    match f {
        Fail::Unavailable => TokenError::Unavailable { status: 503 },
        Fail::Conflict => TokenError::Rejected { code: "invalid_request".into() },
    }
}

#[async_trait]
impl LinearOAuth for FakeOAuth {
    fn authorization(&self, _creds: &AppCredentials) -> Result<Authorization, EndpointError> {
        let n = {
            let mut c = lock(&self.counts);
            c.2 += 1;
            c.2
        };
        let state = format!("state-{n}");
        Ok(Authorization {
            url: format!("https://linear.fake/oauth/authorize?state={state}&actor=app"),
            state,
            verifier: SecretString::from(format!("verifier-{n}")),
        })
    }

    async fn exchange(&self, _creds: &AppCredentials, code: &str, _verifier: &SecretString) -> Result<IssuedTokens, TokenError> {
        lock(&self.counts).0 += 1;
        self.script.enter("exchange").map_err(scripted)?;
        let mut w = lock(&self.world);
        let org = w.codes.remove(code).ok_or(TokenError::Rejected { code: "invalid_grant".into() })?;
        let (a, r) = w.issue(&org);
        Ok(tokens(a, r))
    }

    async fn refresh(&self, _creds: &AppCredentials, refresh_token: &SecretString, _scope: &str) -> Result<IssuedTokens, TokenError> {
        lock(&self.counts).1 += 1;
        self.script.enter("refresh").map_err(scripted)?;
        if let Some(e) = lock(&self.refresh_error).clone() {
            return Err(e);
        }
        let mut w = lock(&self.world);
        let org = w.refresh.remove(refresh_token.expose_secret()).ok_or(TokenError::Rejected { code: "invalid_grant".into() })?;
        let (a, r) = w.issue(&org);
        Ok(tokens(a, r))
    }

    async fn revoke(&self, kind: TokenKind, token: &SecretString) -> Result<Revocation, TokenError> {
        self.script.enter("revoke").map_err(scripted)?;
        lock(&self.revoked).push(kind);
        let mut w = lock(&self.world);
        let live = w.access.remove(token.expose_secret()).is_some() | w.refresh.remove(token.expose_secret()).is_some();
        Ok(if live { Revocation::Revoked } else { Revocation::AlreadyDead })
    }
}

pub struct FakeApi {
    pub script: Script,
    world: Arc<Mutex<World>>,
    viewer_errors: Mutex<HashMap<String, ApiError>>,
}

impl FakeApi {
    pub(super) fn new(script: Script, world: Arc<Mutex<World>>) -> FakeApi {
        FakeApi { script, world, viewer_errors: Mutex::default() }
    }

    /// An organization at Linear; its id.
    pub fn org(&self, org: LinearOrg) -> OrgId {
        let id = OrgId::parse(&org.id).expect("an org id");
        lock(&self.world).orgs.insert(org.id.clone(), org);
        id
    }

    /// An installed workspace's organization with these live tokens.
    pub(super) fn adopt(&self, org: &OrgId, url_key: &str, access: &str, refresh: &str) {
        let mut w = lock(&self.world);
        w.orgs.entry(org.to_string()).or_insert_with(|| LinearOrg::new(org.as_str(), url_key, &url_key.to_uppercase()));
        w.access.insert(access.to_owned(), org.to_string());
        w.refresh.insert(refresh.to_owned(), org.to_string());
    }

    pub fn rename_url_key(&self, org: &str, url_key: &str) {
        if let Some(o) = lock(&self.world).orgs.get_mut(org) {
            o.url_key = url_key.to_owned();
        }
    }

    fn add(&self, org: &OrgId, user: LinearUser) {
        if let Some(o) = lock(&self.world).orgs.get_mut(org.as_str()) {
            o.members.push(user);
        }
    }

    /// A member of `org`.
    pub fn member(&self, org: &OrgId, id: &str, email: &str) {
        let name = email.split('@').next().unwrap_or(id).to_owned();
        self.add(
            org,
            LinearUser {
                id: id.into(),
                name,
                email: Some(email.into()),
                display_name: None,
                active: true,
                admin: false,
                guest: false,
                app: false,
            },
        );
    }

    /// A guest of `org`.
    pub fn guest(&self, org: &OrgId, id: &str, email: &str) {
        self.add(
            org,
            LinearUser {
                id: id.into(),
                name: id.into(),
                email: Some(email.into()),
                display_name: None,
                active: true,
                admin: false,
                guest: true,
                app: false,
            },
        );
    }

    /// A project of `org` in team `ENG` (`team-eng`).
    pub fn project(&self, org: &OrgId, id: &str, name: &str) -> ProjectId {
        let id = ProjectId::parse(id).expect("a project id");
        let team = ProjectTeam { id: "team-eng".into(), key: "ENG".into(), name: "Engineering".into() };
        let project = LinearProject { id: id.clone(), name: name.into(), state: Some("started".into()), teams: vec![team] };
        if let Some(o) = lock(&self.world).orgs.get_mut(org.as_str()) {
            o.projects.push(project);
        }
        id
    }

    /// The project is deleted at Linear.
    pub fn delete_project(&self, org: &OrgId, id: &ProjectId) {
        if let Some(o) = lock(&self.world).orgs.get_mut(org.as_str()) {
            o.projects.retain(|p| p.id != *id);
        }
    }

    /// Linear no longer accepts this access token.
    pub fn refuse_token(&self, access: &str) {
        lock(&self.world).access.remove(access);
    }

    /// `viewer` with this token answers `e`.
    pub fn fail_viewer(&self, access: &str, e: ApiError) {
        lock(&self.viewer_errors).insert(access.to_owned(), e);
    }

    fn org_of(&self, token: &SecretString) -> Result<LinearOrg, ApiError> {
        let w = lock(&self.world);
        let org = w.access.get(token.expose_secret()).ok_or(ApiError::Unauthenticated { code: "AUTHENTICATION_ERROR".into() })?;
        w.orgs.get(org).cloned().ok_or(ApiError::Malformed)
    }
}

fn unavailable(_: Fail) -> ApiError {
    ApiError::Unavailable { status: 503 }
}

#[async_trait]
impl LinearApi for FakeApi {
    async fn install_facts(&self, token: &SecretString) -> Result<InstallFacts, ApiError> {
        self.script.enter("install_facts").map_err(unavailable)?;
        let org = self.org_of(token)?;
        Ok(InstallFacts {
            viewer: Viewer { id: "app-bot".into(), name: Some("bgagent".into()) },
            organization: Organization { id: org.id, name: org.name, url_key: org.url_key },
            team_keys: vec!["ENG".into()],
        })
    }

    async fn users(&self, token: &SecretString, progress: Progress<'_>) -> Result<Vec<LinearUser>, ApiError> {
        self.script.enter("users").map_err(unavailable)?;
        let members = self.org_of(token)?.members;
        for (page, chunk) in members.chunks(100).enumerate() {
            progress(page + 1, page * 100 + chunk.len());
        }
        Ok(members)
    }

    async fn viewer(&self, token: &SecretString) -> Result<Viewer, ApiError> {
        self.script.enter("viewer").map_err(unavailable)?;
        if let Some(e) = lock(&self.viewer_errors).get(token.expose_secret()) {
            return Err(e.clone());
        }
        self.org_of(token)?;
        Ok(Viewer { id: "app-bot".into(), name: Some("bgagent".into()) })
    }

    async fn projects(&self, token: &SecretString) -> Result<Vec<LinearProject>, ApiError> {
        self.script.enter("projects").map_err(unavailable)?;
        Ok(self.org_of(token)?.projects)
    }
}
