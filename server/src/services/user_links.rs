//! Linking Linear users to platform (Cognito) users: each member's state, link, change,
//! unlink, invites, and a platform user's links. Linear members and the pool's users are
//! cached briefly; the pages' mapping rows are shared for a few seconds and dropped by every
//! write, and every write is conditional.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::user_links_view::{
    counts, page, IdentityLink, InviteView, LinkOutcome, LinkRequest, LinkResult, LinkState, PlatformUserLinks, PlatformUserPage,
    UsersQuery, WorkspaceUsers,
};
use time::OffsetDateTime;

use crate::adapters::cognito::directory::Directory;
use crate::adapters::dynamodb::audit::AuditLog;
use crate::adapters::dynamodb::registry::Registry;
use crate::adapters::dynamodb::user_mappings::{MappingError, UserMappings};
use crate::adapters::linear::graphql::{ApiError, LinearApi, LinearUser};
use crate::adapters::read_cache::{Epoch, ReadCache};
use crate::config::LinkingSettings;
use crate::domain::audit::{Actor, AuditEvent, Outcome};
use crate::domain::iso_millis;
use crate::domain::link_states::{self as matching, invite_view, PlatformIndex};
use crate::domain::user_mapping::{Invite, InviteCode, InviteFor, Link, LinkKey, MappingRow};
use crate::services::upkeep::TokenUpkeep;

#[derive(Debug, thiserror::Error)]
pub enum LinkingError {
    #[error("the workspace is not in the registry")]
    UnknownWorkspace,
    #[error("the workspace is revoked: its links can be viewed and removed, not created")]
    ReadOnly,
    #[error("that Linear user is not a member of this workspace")]
    UnknownLinearUser,
    #[error("that Linear user cannot be linked: {0}")]
    NotLinkable(String),
    #[error("that is not a user of the platform's user pool")]
    UnknownPlatformUser,
    #[error("that platform user is disabled")]
    PlatformUserDisabled,
    #[error("that is not a Linear identity (`<workspace id>#<user id>`)")]
    BadIdentity,
    #[error("the link changed meanwhile (someone else linked or unlinked it); nothing was written")]
    Conflict,
    #[error("Linear's users could not be fetched: {0}")]
    Linear(String),
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
}

fn mapping(e: MappingError) -> LinkingError {
    match e {
        MappingError::Conflict => LinkingError::Conflict,
        MappingError::Unavailable(cause) => {
            tracing::error!(error = %cause, "user mapping table");
            LinkingError::Unavailable("DynamoDB")
        }
    }
}

struct Members {
    loaded: Instant,
    fetched_at: String,
    users: Arc<Vec<LinearUser>>,
}

pub struct UserLinks {
    audit: AuditLog,
    registry: Registry,
    upkeep: Arc<TokenUpkeep>,
    linear: LinearApi,
    directory: Directory,
    mappings: UserMappings,
    settings: LinkingSettings,
    members: Mutex<HashMap<String, Members>>,
    pool: Mutex<Option<(Instant, Arc<PlatformIndex>)>>,
    /// Reloads under way: org id → (pages, users) fetched so far.
    progress: Mutex<HashMap<String, (usize, usize)>>,
    /// Workspaces' slugs by org id, for `/users` (reused as long as the pool's users are).
    slugs: Mutex<Option<(Instant, Slugs)>>,
    /// The registry rows the users pages show (slug, revoked or not), shared by every request for
    /// a few seconds. Only the page reads them: a change (link, invite) reads the row afresh, so a
    /// workspace revoked meanwhile refuses it even while its page still offers it.
    page_rows: ReadCache<String, Workspace>,
}

/// Workspaces' slugs by org id.
type Slugs = Arc<HashMap<String, String>>;

/// The workspace's registry row, and whether links may be created for it.
#[derive(Clone)]
struct Workspace {
    org_id: String,
    slug: Option<String>,
    active: bool,
}

impl UserLinks {
    pub fn new(
        registry: Registry,
        upkeep: Arc<TokenUpkeep>,
        linear: LinearApi,
        directory: Directory,
        mappings: UserMappings,
        settings: LinkingSettings,
        audit: AuditLog,
    ) -> UserLinks {
        UserLinks {
            audit,
            registry,
            upkeep,
            linear,
            directory,
            mappings,
            settings,
            members: Mutex::new(HashMap::new()),
            pool: Mutex::new(None),
            slugs: Mutex::new(None),
            progress: Mutex::new(HashMap::new()),
            page_rows: ReadCache::new(Duration::ZERO),
        }
    }

    /// Shares the users pages' registry reads for `ttl` (zero: each page reads), dropped whenever
    /// `epoch` is (the registry overview's: every change through the console, a revoke included).
    pub fn with_page_cache(mut self, ttl: Duration, epoch: &Epoch) -> UserLinks {
        self.page_rows = ReadCache::sharing(ttl, epoch);
        self
    }

    async fn workspace(&self, org_id: &str) -> Result<Workspace, LinkingError> {
        let row = self.registry.get(org_id).await.map_err(|e| {
            tracing::error!(error = %e, "registry");
            LinkingError::Unavailable("DynamoDB")
        })?;
        let row = row.ok_or(LinkingError::UnknownWorkspace)?;
        Ok(Workspace { org_id: org_id.to_owned(), active: row.is_active(), slug: row.slug })
    }

    fn cached_members(&self, org_id: &str) -> Option<(Arc<Vec<LinearUser>>, String)> {
        let cache = self.members.lock().ok()?;
        let m = cache.get(org_id)?;
        (m.loaded.elapsed() < self.settings.members_cache).then(|| (m.users.clone(), m.fetched_at.clone()))
    }

    /// Fetches every member from Linear with the workspace's stored access token.
    async fn fetch_members(&self, org_id: &str) -> Result<(Arc<Vec<LinearUser>>, String), LinkingError> {
        let bundle = self.upkeep.active_bundle(org_id).await.map_err(|e| LinkingError::Linear(e.to_string()))?.bundle;
        if let Ok(mut p) = self.progress.lock() {
            p.insert(org_id.to_owned(), (0, 0));
        }
        let result = self
            .linear
            .users(&bundle.access_token, |pages, users| {
                if let Ok(mut p) = self.progress.lock() {
                    p.insert(org_id.to_owned(), (pages, users));
                }
            })
            .await;
        if let Ok(mut p) = self.progress.lock() {
            p.remove(org_id);
        }
        let users = Arc::new(result.map_err(|e| {
            LinkingError::Linear(match e {
                ApiError::Unauthenticated { .. } => "Linear refused the stored token; check the workspace's health".to_owned(),
                other => other.to_string(),
            })
        })?);
        let fetched_at = iso_millis(OffsetDateTime::now_utc());
        if let Ok(mut cache) = self.members.lock() {
            cache.insert(org_id.to_owned(), Members { loaded: Instant::now(), fetched_at: fetched_at.clone(), users: users.clone() });
        }
        Ok((users, fetched_at))
    }

    async fn members(&self, org_id: &str) -> Result<(Arc<Vec<LinearUser>>, String), LinkingError> {
        match self.cached_members(org_id) {
            Some(m) => Ok(m),
            None => self.fetch_members(org_id).await,
        }
    }

    /// *Reload from Linear*: drops the cached members (and pool) and fetches them again.
    pub async fn reload(&self, org_id: &str) -> Result<usize, LinkingError> {
        self.workspace(org_id).await?;
        self.forget_pool();
        Ok(self.fetch_members(org_id).await?.0.len())
    }

    /// (pages, users) fetched so far by a reload under way.
    pub fn reload_progress(&self, org_id: &str) -> Option<(usize, usize)> {
        self.progress.lock().ok()?.get(org_id).copied()
    }

    async fn pool(&self) -> Result<Arc<PlatformIndex>, LinkingError> {
        if let Some((at, index)) = self.pool.lock().ok().and_then(|p| p.clone()) {
            if at.elapsed() < self.settings.pool_cache {
                return Ok(index);
            }
        }
        let users = self.directory.all().await.map_err(|e| {
            tracing::error!(error = %e.cause, "cognito");
            LinkingError::Unavailable("Cognito")
        })?;
        let index = Arc::new(PlatformIndex::new(users));
        if let Ok(mut pool) = self.pool.lock() {
            *pool = Some((Instant::now(), index.clone()));
        }
        Ok(index)
    }

    /// The cached pool, completed with any of `subs` it lacks (users created since it was
    /// fetched), looked up one by one so a new user is never shown as deleted.
    async fn pool_knowing(&self, subs: impl Iterator<Item = &str>) -> Result<Arc<PlatformIndex>, LinkingError> {
        let pool = self.pool().await?;
        let mut missing: Vec<&str> = subs.filter(|s| pool.get(s).is_none()).collect();
        missing.sort_unstable();
        missing.dedup();
        missing.truncate(50);
        if missing.is_empty() {
            return Ok(pool);
        }
        let found = futures::future::join_all(missing.iter().map(|s| self.directory.by_sub(s))).await;
        let found: Vec<_> = found.into_iter().filter_map(|r| r.ok().flatten()).collect();
        if found.is_empty() {
            return Ok(pool);
        }
        let mut index = (*pool).clone();
        for user in found {
            index.insert(user);
        }
        let index = Arc::new(index);
        if let Ok(mut cached) = self.pool.lock() {
            if let Some((at, _)) = cached.take() {
                *cached = Some((at, index.clone()));
            }
        }
        Ok(index)
    }

    fn forget_pool(&self) {
        if let Ok(mut pool) = self.pool.lock() {
            *pool = None;
        }
    }

    /// The workspace's links and pending invites. Invites past their `ttl` are deleted here, not
    /// only labelled: the platform would still redeem one until DynamoDB's lazy TTL deletion runs.
    async fn rows(&self, org_id: &str) -> Result<(Vec<Link>, Vec<Invite>), LinkingError> {
        let rows = self.mappings.workspace_rows(org_id).await.map_err(mapping)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let (mut links, mut invites) = (Vec::new(), Vec::new());
        for row in rows {
            match row {
                MappingRow::Link(l) if l.key.org_id == org_id => links.push(l),
                MappingRow::Invite(i) if i.org_id.as_deref() == Some(org_id) && i.expired(now) => {
                    match self.mappings.delete_expired_invite(&i.code, now).await {
                        Ok(_) => {}
                        // Not deleted this time: still listed (as expired) so it is not forgotten.
                        Err(e) => {
                            tracing::warn!(error = %e, "an expired invite was not deleted");
                            invites.push(i);
                        }
                    }
                }
                MappingRow::Invite(i) if i.org_id.as_deref() == Some(org_id) => invites.push(i),
                _ => {}
            }
        }
        Ok((links, invites))
    }

    /// The users page: every member with its state, filtered and paged as the URL asks.
    pub async fn workspace_users(&self, org_id: &str, query: &UsersQuery) -> Result<WorkspaceUsers, LinkingError> {
        let ws = self.page_rows.get_or_read(org_id.to_owned(), || self.workspace(org_id)).await?;
        // A revoked workspace has no token: its page lists what the mapping table holds.
        let (members, fetched_at, linear_error) = match self.members(org_id).await {
            Ok((m, at)) => (m, Some(at), None),
            Err(LinkingError::Linear(e)) => (Arc::new(Vec::new()), None, Some(e)),
            Err(e) => return Err(e),
        };
        let (links, invites) = self.rows(org_id).await?;
        let pool = self.pool_knowing(links.iter().map(|l| l.platform_user_id.as_str())).await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let all = matching::rows(&members, &links, &invites, &pool, now);
        let counts = counts(&all);
        let (rows, matching, page_no, pages) = page(all, query);
        let mut invites: Vec<InviteView> = invites.iter().map(|i| invite_view(i, now)).collect();
        invites.sort_by(|a, b| b.invited_at.cmp(&a.invited_at));
        Ok(WorkspaceUsers {
            org_id: ws.org_id,
            slug: ws.slug,
            read_only: (!ws.active).then(|| "This workspace is revoked: links can be viewed and removed, not created.".to_owned()),
            fetched_at,
            linear_error,
            rows,
            matching,
            page: page_no,
            pages,
            counts,
            invites,
            redeem_command: self.settings.redeem_command.clone(),
        })
    }

    /// The *Link all suggested* list: every suggested member with its match.
    pub async fn suggested(&self, org_id: &str) -> Result<Vec<LinkRequest>, LinkingError> {
        self.writable_workspace(org_id).await?;
        let (members, _) = self.members(org_id).await?;
        let (links, invites) = self.rows(org_id).await?;
        let pool = self.pool().await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok(matching::rows(&members, &links, &invites, &pool, now)
            .into_iter()
            .filter(|r| r.state == LinkState::Suggested)
            .filter_map(|r| {
                let p = r.platform_user?;
                let label = format!("{} → {}", r.user.name, p.email.as_deref().unwrap_or(&p.sub));
                Some(LinkRequest { linear_user_id: r.user.id, platform_user_id: p.sub, replace: None, label: Some(label) })
            })
            .collect())
    }

    /// A member that may be linked, or why not.
    async fn linkable_member(&self, org_id: &str, linear_user_id: &str) -> Result<LinearUser, LinkingError> {
        let find = |m: &[LinearUser]| m.iter().find(|u| u.id == linear_user_id).cloned();
        let (members, _) = self.members(org_id).await?;
        // Not in a cached list: maybe a new member; look once more, fresh.
        let user = match find(&members) {
            Some(u) => u,
            None => find(&self.fetch_members(org_id).await?.0).ok_or(LinkingError::UnknownLinearUser)?,
        };
        match (user.guest, user.app, user.active) {
            (true, ..) => Err(LinkingError::NotLinkable("a guest".into())),
            (_, true, _) => Err(LinkingError::NotLinkable("an app's bot user".into())),
            (.., false) => Err(LinkingError::NotLinkable("disabled in Linear".into())),
            _ => Ok(user),
        }
    }

    /// A platform user that may be linked to (checked in the pool, not the cache).
    async fn platform_user(&self, sub: &str) -> Result<(), LinkingError> {
        let user = self.directory.by_sub(sub).await.map_err(|e| {
            tracing::error!(error = %e.cause, "cognito");
            LinkingError::Unavailable("Cognito")
        })?;
        match user {
            None => Err(LinkingError::UnknownPlatformUser),
            Some(u) if !u.enabled => Err(LinkingError::PlatformUserDisabled),
            Some(_) => Ok(()),
        }
    }

    /// Links (or, with `replace`, changes the link of) a member, audited. Never overwrites a link
    /// someone else made: the write is conditional and a conflict names who holds it.
    pub async fn link(&self, actor: &Actor, org_id: &str, req: &LinkRequest) -> Result<(), LinkingError> {
        let result = match self.writable_workspace(org_id).await {
            Ok(_) => self.link_in(&actor.sub, org_id, req).await,
            Err(e) => Err(e),
        };
        let outcome = self.outcome(org_id, req, &result).await;
        let _ = self.audit.record(link_event(actor, org_id, req, &outcome)).await;
        result
    }

    /// The workspace, if links may be created in it.
    async fn writable_workspace(&self, org_id: &str) -> Result<Workspace, LinkingError> {
        let ws = self.workspace(org_id).await?;
        if ws.active {
            Ok(ws)
        } else {
            Err(LinkingError::ReadOnly)
        }
    }

    /// [`link`](Self::link) in a workspace already known to be writable.
    async fn link_in(&self, admin_sub: &str, org_id: &str, req: &LinkRequest) -> Result<(), LinkingError> {
        let key = LinkKey::new(org_id, &req.linear_user_id).map_err(|_| LinkingError::BadIdentity)?;
        self.linkable_member(org_id, &req.linear_user_id).await?;
        self.platform_user(&req.platform_user_id).await?;
        let link = Link::by_console(key, &req.platform_user_id, &iso_millis(OffsetDateTime::now_utc()), admin_sub);
        match &req.replace {
            None => self.mappings.put_new_link(&link).await.map_err(mapping),
            Some(expected) => self.mappings.replace_link(&link, expected).await.map_err(mapping),
        }
    }

    /// [`link`](Self::link) for many, each with its own outcome and audit event.
    /// The workspace is read once for the whole batch, not once per row.
    pub async fn link_many(&self, actor: &Actor, org_id: &str, reqs: &[LinkRequest]) -> Vec<LinkResult> {
        let ws = self.writable_workspace(org_id).await;
        let mut out = Vec::with_capacity(reqs.len());
        for req in reqs {
            let result = match &ws {
                Ok(_) => self.link_in(&actor.sub, org_id, req).await,
                Err(LinkingError::UnknownWorkspace) => Err(LinkingError::UnknownWorkspace),
                Err(LinkingError::ReadOnly) => Err(LinkingError::ReadOnly),
                Err(_) => Err(LinkingError::Unavailable("DynamoDB")),
            };
            let outcome = self.outcome(org_id, req, &result).await;
            let _ = self.audit.record(link_event(actor, org_id, req, &outcome)).await;
            out.push(LinkResult { linear_user_id: req.linear_user_id.clone(), outcome });
        }
        out
    }

    /// A link attempt's result as its row in a report (a conflict names who holds the link).
    async fn outcome(&self, org_id: &str, req: &LinkRequest, result: &Result<(), LinkingError>) -> LinkOutcome {
        match result {
            Ok(()) => LinkOutcome::Linked,
            Err(LinkingError::Conflict) => LinkOutcome::Conflict { linked_to: self.holder(org_id, &req.linear_user_id).await },
            Err(LinkingError::Unavailable(_)) => LinkOutcome::Failed,
            Err(e) => LinkOutcome::Refused(e.to_string()),
        }
    }

    /// Who holds a member's link now (email when known), for a conflict's message.
    pub async fn holder(&self, org_id: &str, linear_user_id: &str) -> String {
        let Ok(key) = LinkKey::new(org_id, linear_user_id) else { return "someone".into() };
        let sub = match self.mappings.get(&key.as_key()).await {
            Ok(Some(MappingRow::Link(l))) => Some(l.platform_user_id),
            _ => None,
        };
        match sub {
            Some(sub) => self.directory.email_of(&sub).await.unwrap_or(sub),
            None => "nobody now (it was unlinked meanwhile)".into(),
        }
    }

    /// Unlinks a member, only while the link still names `expected`; audited.
    pub async fn unlink(&self, actor: &Actor, org_id: &str, linear_user_id: &str, expected: &str) -> Result<(), LinkingError> {
        let result = async {
            let key = LinkKey::new(org_id, linear_user_id).map_err(|_| LinkingError::BadIdentity)?;
            self.workspace(org_id).await?;
            self.mappings.delete_link(&key.as_key(), expected).await.map_err(mapping)
        }
        .await;
        let detail = format!("Linear user {linear_user_id} from platform user {expected}");
        self.record(actor, "user.unlink", org_id, &result, detail).await;
        result
    }

    /// Unlinks by the row's key (from `/users`), only while it still names `expected`; audited
    /// against the workspace the key names.
    pub async fn unlink_identity(&self, actor: &Actor, identity: &str, expected: &str) -> Result<LinkKey, LinkingError> {
        let result = async {
            let key = LinkKey::parse(identity).map_err(|_| LinkingError::BadIdentity)?;
            self.mappings.delete_link(&key.as_key(), expected).await.map_err(mapping)?;
            Ok(key)
        }
        .await;
        let org = identity.split('#').next().unwrap_or_default();
        self.record(actor, "user.unlink", org, &result, format!("{identity} from platform user {expected}")).await;
        result
    }

    /// The audit event of a change to a workspace's links: success, refused (the admin's
    /// mistake or a conflict) or failure (a service), with why.
    async fn record<T>(&self, actor: &Actor, action: &'static str, org_id: &str, result: &Result<T, LinkingError>, detail: String) {
        let (outcome, detail) = match result {
            Ok(_) => (Outcome::Success, detail),
            Err(e @ (LinkingError::Unavailable(_) | LinkingError::Linear(_))) => (Outcome::Failure, format!("{detail}: {e}")),
            Err(e) => (Outcome::Refused, format!("{detail}: {e}")),
        };
        let _ = self.audit.record(actor.event(action, org_id, outcome, detail)).await;
    }

    /// Creates an invite for a member (the contract's pending row, 24 hours); audited with the
    /// code's last 4 characters only (an invite code is a credential of sorts).
    pub async fn invite(&self, actor: &Actor, org_id: &str, linear_user_id: &str) -> Result<InviteView, LinkingError> {
        let result = self.create_invite(&actor.sub, org_id, linear_user_id).await;
        let detail = match &result {
            Ok(i) => format!(
                "Linear user {linear_user_id} invited (code …{}, until {})",
                code_tail(&i.code),
                i.expires_at.clone().unwrap_or_default()
            ),
            Err(_) => format!("Linear user {linear_user_id}"),
        };
        self.record(actor, "user.invite", org_id, &result, detail).await;
        result
    }

    async fn create_invite(&self, admin_sub: &str, org_id: &str, linear_user_id: &str) -> Result<InviteView, LinkingError> {
        LinkKey::new(org_id, linear_user_id).map_err(|_| LinkingError::BadIdentity)?;
        let ws = self.writable_workspace(org_id).await?;
        let user = self.linkable_member(org_id, linear_user_id).await?;
        let now = OffsetDateTime::now_utc();
        let who = InviteFor {
            org_id,
            org_slug: ws.slug.as_deref().unwrap_or_default(),
            user_id: &user.id,
            user_name: &user.name,
            user_email: user.email.as_deref().unwrap_or_default(),
        };
        // A fresh code; a collision (31^8 codes) is retried, never overwritten.
        for _ in 0..3 {
            let code = InviteCode::generate(&mut rand::rng());
            let invite = Invite::new(code, &who, &iso_millis(now), admin_sub, now.unix_timestamp());
            let view = invite_view(&invite, now.unix_timestamp());
            match self.mappings.put_new_invite(&invite).await {
                Ok(()) => return Ok(view),
                Err(MappingError::Conflict) => continue,
                Err(e) => return Err(mapping(e)),
            }
        }
        Err(LinkingError::Conflict)
    }

    /// Revokes (deletes) a pending invite of this workspace; audited.
    pub async fn revoke_invite(&self, actor: &Actor, org_id: &str, code: &str) -> Result<(), LinkingError> {
        let result = async {
            let code = InviteCode::parse(code).ok_or(LinkingError::BadIdentity)?;
            self.workspace(org_id).await?;
            self.mappings.delete_invite(&code.key(), org_id).await.map_err(mapping)
        }
        .await;
        let detail = match &result {
            Ok(()) => format!("invite …{} deleted", code_tail(code)),
            Err(_) => format!("invite …{}", code_tail(code)),
        };
        self.record(actor, "user.invite_revoke", org_id, &result, detail).await;
        result
    }

    /// Platform users whose email starts with `prefix`, a page at a time, each with its links.
    pub async fn platform_users(&self, prefix: &str, token: Option<String>, limit: usize) -> Result<PlatformUserPage, LinkingError> {
        let (users, next) = self.directory.search(prefix, token, limit).await.map_err(|e| {
            tracing::error!(error = %e.cause, "cognito");
            LinkingError::Unavailable("Cognito")
        })?;
        let slugs = self.slugs().await;
        let lookups = users.iter().map(|u| self.mappings.of_platform_user(&u.sub));
        let rows = futures::future::join_all(lookups).await;
        let mut out = Vec::with_capacity(users.len());
        for (user, rows) in users.into_iter().zip(rows) {
            let rows: Vec<MappingRow> = rows.map_err(mapping)?;
            let links = rows
                .into_iter()
                .filter_map(|row| match row {
                    MappingRow::Link(l) => Some(IdentityLink {
                        identity: l.key.as_key(),
                        workspace_slug: slugs.get(&l.key.org_id).cloned(),
                        org_id: l.key.org_id,
                        linear_user_id: l.key.user_id,
                        linked_at: l.linked_at,
                        link_method: l.link_method,
                    }),
                    _ => None,
                })
                .collect();
            out.push(PlatformUserLinks { user, links });
        }
        Ok(PlatformUserPage { users: out, next })
    }
}

impl UserLinks {
    /// Workspaces' slugs by org id (a registry Scan at most once per pool-cache period).
    async fn slugs(&self) -> Slugs {
        let known = self
            .slugs
            .lock()
            .ok()
            .and_then(|s| s.as_ref().filter(|(at, _)| at.elapsed() < self.settings.pool_cache).map(|(_, m)| m.clone()));
        if let Some(slugs) = known {
            return slugs;
        }
        let slugs: Slugs = match self.registry.records().await {
            Ok(records) => Arc::new(records.into_iter().filter_map(|r| Some((r.org_id, r.slug?))).collect()),
            // Without the registry the page still lists the links, with org ids instead of slugs.
            Err(_) => return Arc::default(),
        };
        if let Ok(mut s) = self.slugs.lock() {
            *s = Some((Instant::now(), slugs.clone()));
        }
        slugs
    }
}

/// An invite code is a credential of sorts: the audit log keeps its last 4 characters only.
fn code_tail(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The audit event of one link attempt.
fn link_event(actor: &Actor, org_id: &str, req: &LinkRequest, outcome: &LinkOutcome) -> AuditEvent {
    let action = if req.replace.is_some() { "user.link_change" } else { "user.link" };
    let what = match &req.replace {
        Some(old) => format!("Linear user {} from platform user {old} to {}", req.linear_user_id, req.platform_user_id),
        None => format!("Linear user {} to platform user {}", req.linear_user_id, req.platform_user_id),
    };
    let outcome_of = match outcome {
        LinkOutcome::Linked => Outcome::Success,
        LinkOutcome::Conflict { .. } | LinkOutcome::Refused(_) => Outcome::Refused,
        LinkOutcome::Failed => Outcome::Failure,
    };
    actor.event(action, org_id, outcome_of, format!("{what}: {}", outcome.words()))
}
