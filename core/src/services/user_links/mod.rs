//! Linking Linear users to platform (Cognito) users: each member's state, link, change, unlink,
//! invites, and a platform user's links. Linear members and the pool's users are cached briefly;
//! the pages' mapping rows are shared for a few seconds and dropped by every write, and every
//! write is conditional: nobody's link is overwritten unseen. `create` makes platform users from
//! Linear members.
mod create;

pub use create::{Created, CreatedTally};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit::{Action, Actor, AuditEvent, Outcome};
use crate::cache::{Epoch, Freshness, ReadCache};
use crate::error::{chain, StoreError, Unavailable};
use crate::ids::{InviteCode, LinearUserId, LinkKey, MappingKey, OrgId, PlatformUserId};
use crate::link_states::{self as matching, LinkState, MemberRow, PlatformIndex};
use crate::ports::{ApiError, Directory, Ids, LinearApi, Mappings, RegistryStore, SearchError};
use crate::records::members::{LinearUser, PlatformUser};
use crate::records::user_mapping::{Invite, InviteFor, Link, MappingRow};
use crate::services::audit::{AuditLog, Audited, Recorded};
use crate::services::mapping_cache::CachedMappings;
use crate::services::upkeep::{Upkeep, UpkeepError};
use crate::time::{iso_millis, Clock};

/// Why a member cannot be linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotLinkable {
    Guest,
    AppBot,
    Disabled,
}

impl NotLinkable {
    fn words(self) -> &'static str {
        match self {
            NotLinkable::Guest => "a guest",
            NotLinkable::AppBot => "an app's bot user",
            NotLinkable::Disabled => "disabled in Linear",
        }
    }
}

/// Why the members could not be fetched from Linear.
#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    #[error("{0}")]
    Token(#[source] UpkeepError),
    #[error("Linear refused the stored token; check the workspace's health")]
    Refused,
    #[error("{0}")]
    Api(#[source] ApiError),
}

#[derive(Debug, thiserror::Error)]
pub enum LinkingError {
    #[error("the workspace is not in the registry")]
    UnknownWorkspace,
    #[error("the workspace is revoked: its links can be viewed and removed, not created")]
    ReadOnly,
    #[error("that Linear user is not a member of this workspace")]
    UnknownLinearUser,
    #[error("that Linear user cannot be linked: {}", .0.words())]
    NotLinkable(NotLinkable),
    #[error("that is not a user of the platform's user pool")]
    UnknownPlatformUser,
    #[error("that platform user is disabled")]
    PlatformUserDisabled,
    #[error("that is not a Linear identity (`<workspace id>#<user id>`)")]
    BadIdentity,
    #[error("next is not a page of this search: start the search again")]
    BadPageToken,
    #[error("that Linear user has no email address to make a platform user with")]
    NoEmail,
    #[error("several platform users have this email address: pick one to link instead")]
    AmbiguousEmail,
    #[error("the link changed meanwhile (someone else linked or unlinked it); nothing was written")]
    Conflict,
    #[error("Linear's users could not be fetched: {0}")]
    Linear(#[source] MembersError),
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

impl From<StoreError> for LinkingError {
    fn from(e: StoreError) -> LinkingError {
        match e {
            StoreError::Conflict => LinkingError::Conflict,
            StoreError::Unavailable(u) => LinkingError::Unavailable(u),
        }
    }
}

/// One link to create (or, with `replace`, to change from that platform user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub linear_user_id: LinearUserId,
    pub platform_user_id: PlatformUserId,
    pub replace: Option<PlatformUserId>,
    /// "Name → email", for a progress display; not used to link.
    pub label: Option<String>,
}

/// How one link of a batch went (also the wire's: a bulk run's progress shows it row by row).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LinkOutcome {
    Linked,
    /// Someone linked this Linear user meanwhile: not overwritten.
    Conflict {
        linked_to: String,
    },
    /// Bad input (the words say which): nothing written.
    Refused(String),
    Failed,
}

impl LinkOutcome {
    pub fn words(&self) -> String {
        match self {
            LinkOutcome::Linked => "linked".into(),
            LinkOutcome::Conflict { linked_to } => format!("already linked to {linked_to}; not changed"),
            LinkOutcome::Refused(why) => why.clone(),
            LinkOutcome::Failed => "could not be saved (DynamoDB unavailable); try again".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkResult {
    pub linear_user_id: LinearUserId,
    pub outcome: LinkOutcome,
}

/// A workspace's members with their link states, as its users page reads them.
#[derive(Debug, Clone)]
pub struct Members {
    pub org_id: OrgId,
    pub slug: Option<String>,
    /// The workspace is revoked: links can be viewed and removed, not created.
    pub read_only: bool,
    /// When the Linear users were fetched, or why they could not be.
    pub fetched_at: Option<String>,
    pub linear_error: Option<String>,
    pub rows: Vec<MemberRow>,
    /// Its pending invites (expired ones past deletion included), newest first.
    pub invites: Vec<Invite>,
    /// Active members with an email, no link, and no platform user with that email.
    pub unmatched: usize,
    /// The time the rows were judged at (Unix seconds).
    pub now: i64,
}

/// A platform user's link to a Linear identity, for `/users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLink {
    pub key: LinkKey,
    pub workspace_slug: Option<String>,
    pub linked_at: Option<String>,
    pub link_method: Option<String>,
}

/// A page of the pool's users, each with its links, and the next page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformUsers {
    pub users: Vec<(PlatformUser, Vec<IdentityLink>)>,
    pub next: Option<String>,
}

/// How long what the users pages read of Linear and of the pool is reused.
#[derive(Debug, Clone)]
pub struct LinkingSettings {
    pub members_cache: Duration,
    pub pool_cache: Duration,
    /// How a user redeems an invite, `{code}` replaced.
    pub redeem_command: String,
}

/// A workspace's members as fetched from Linear, and when.
#[derive(Clone)]
struct Fetched {
    at: String,
    users: Arc<Vec<LinearUser>>,
}

/// The workspace's registry row, and whether links may be created for it.
#[derive(Clone)]
struct Workspace {
    slug: Option<String>,
    active: bool,
}

/// What the user links call.
pub struct UserLinksParts {
    pub registry: Arc<dyn RegistryStore>,
    pub upkeep: Arc<Upkeep>,
    pub linear: Arc<dyn LinearApi>,
    pub directory: Arc<dyn Directory>,
    pub mappings: Arc<CachedMappings>,
    pub audit: Arc<AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub settings: LinkingSettings,
    /// Reuse of the pages' registry rows.
    pub page_cache: Duration,
    /// The registry's views: a change through the console (a revoke) drops the pages' rows.
    pub views: Epoch,
}

pub struct UserLinks {
    p: UserLinksParts,
    members: ReadCache<OrgId, Fetched>,
    pool: ReadCache<(), Arc<PlatformIndex>>,
    /// Workspaces' slugs by org id, for `/users` (reused as long as the pool's users are).
    slugs: ReadCache<(), Arc<HashMap<String, String>>>,
    /// The registry rows the users pages show, shared by every request for a few seconds. Only the
    /// page reads them: a change reads the row afresh, so a workspace revoked meanwhile refuses it
    /// even while its page still offers it.
    page_rows: ReadCache<OrgId, Workspace>,
    /// Reloads under way: org id → (pages, users) fetched so far.
    progress: Mutex<HashMap<OrgId, (usize, usize)>>,
}

impl UserLinks {
    pub fn new(p: UserLinksParts) -> UserLinks {
        let clock = p.clock.clone();
        UserLinks {
            members: ReadCache::new(p.settings.members_cache, clock.clone()),
            pool: ReadCache::new(p.settings.pool_cache, clock.clone()),
            slugs: ReadCache::new(p.settings.pool_cache, clock.clone()),
            page_rows: ReadCache::sharing(p.page_cache, clock, &p.views),
            progress: Mutex::new(HashMap::new()),
            p,
        }
    }

    async fn workspace(&self, org: &OrgId) -> Result<Workspace, LinkingError> {
        let row = self.p.registry.get(org).await?.ok_or(LinkingError::UnknownWorkspace)?;
        Ok(Workspace { active: row.is_active(), slug: row.slug })
    }

    /// The workspace, if links may be created in it.
    async fn writable_workspace(&self, org: &OrgId) -> Result<Workspace, LinkingError> {
        let ws = self.workspace(org).await?;
        if ws.active {
            Ok(ws)
        } else {
            Err(LinkingError::ReadOnly)
        }
    }

    /// Fetches every member from Linear with the workspace's stored access token, and keeps them.
    async fn fetch_members(&self, org: &OrgId) -> Result<Fetched, LinkingError> {
        let bundle = self.p.upkeep.active_bundle(org).await.map_err(|e| LinkingError::Linear(MembersError::Token(e)))?.bundle;
        self.set_progress(org, Some((0, 0)));
        let progress = |pages, users| self.set_progress(org, Some((pages, users)));
        let result = self.p.linear.users(&bundle.access_token, &progress).await;
        self.set_progress(org, None);
        let users = result.map_err(|e| {
            LinkingError::Linear(match e {
                ApiError::Unauthenticated { .. } => MembersError::Refused,
                other => MembersError::Api(other),
            })
        })?;
        let fetched = Fetched { at: iso_millis(self.p.clock.now()), users: Arc::new(users) };
        self.members.put(org.clone(), fetched.clone());
        Ok(fetched)
    }

    fn set_progress(&self, org: &OrgId, at: Option<(usize, usize)>) {
        if let Ok(mut p) = self.progress.lock() {
            match at {
                Some(at) => p.insert(org.clone(), at),
                None => p.remove(org),
            };
        }
    }

    async fn members(&self, org: &OrgId) -> Result<Fetched, LinkingError> {
        self.members.get_or_read(org.clone(), Freshness::Shared, || self.fetch_members(org)).await
    }

    /// *Reload from Linear*: drops the cached members (and pool) and fetches them again; how many.
    pub async fn reload(&self, org: &OrgId) -> Result<usize, LinkingError> {
        self.workspace(org).await?;
        self.pool.forget(&());
        Ok(self.fetch_members(org).await?.users.len())
    }

    /// (pages, users) fetched so far by a reload under way.
    pub fn reload_progress(&self, org: &OrgId) -> Option<(usize, usize)> {
        self.progress.lock().ok()?.get(org).copied()
    }

    async fn pool(&self) -> Result<Arc<PlatformIndex>, LinkingError> {
        let read = || async { Ok(Arc::new(PlatformIndex::new(self.p.directory.all().await.map_err(LinkingError::Unavailable)?))) };
        self.pool.get_or_read((), Freshness::Shared, read).await
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
        let found = futures::future::join_all(missing.iter().map(|s| self.p.directory.by_sub(s))).await;
        let found: Vec<PlatformUser> = found.into_iter().filter_map(|r| r.ok().flatten()).collect();
        if found.is_empty() {
            return Ok(pool);
        }
        let mut index = (*pool).clone();
        for user in found {
            index.insert(user);
        }
        let index = Arc::new(index);
        let kept = index.clone();
        self.pool.update(&(), move |cached| *cached = kept);
        Ok(index)
    }

    /// The workspace's links and pending invites. Invites past their `ttl` are deleted here, not
    /// only labelled: the platform would still redeem one until DynamoDB's lazy TTL deletion runs.
    async fn rows(&self, org: &OrgId, freshness: Freshness) -> Result<(Vec<Link>, Vec<Invite>), LinkingError> {
        let rows = self.p.mappings.workspace_rows_shared(org, freshness).await?;
        let now = self.p.clock.unix();
        let (mut links, mut invites) = (Vec::new(), Vec::new());
        for row in rows {
            match row {
                MappingRow::Link(l) if l.key.org_id == *org => links.push(l),
                MappingRow::Invite(i) if i.org_id.as_deref() == Some(org.as_str()) && i.expired(now) => {
                    if let Err(e) = self.p.mappings.delete_expired_invite(&i.code, now).await {
                        // Not deleted this time: still listed (as expired) so it is not forgotten.
                        tracing::warn!(error = %chain(&e), "an expired invite was not deleted");
                        invites.push(i);
                    }
                }
                MappingRow::Invite(i) if i.org_id.as_deref() == Some(org.as_str()) => invites.push(i),
                _ => {}
            }
        }
        Ok((links, invites))
    }

    /// The users page: every member with its state.
    pub async fn members_of(&self, org: &OrgId, freshness: Freshness) -> Result<Members, LinkingError> {
        let ws = self.page_rows.get_or_read(org.clone(), freshness, || self.workspace(org)).await?;
        // A revoked workspace has no token: its page lists what the mapping table holds.
        let (members, fetched_at, linear_error) = match self.members(org).await {
            Ok(m) => (m.users, Some(m.at), None),
            Err(LinkingError::Linear(e)) => (Arc::new(Vec::new()), None, Some(e.to_string())),
            Err(e) => return Err(e),
        };
        let (links, mut invites) = self.rows(org, freshness).await?;
        let pool = self.pool_knowing(links.iter().map(|l| l.platform_user_id.as_str())).await?;
        let now = self.p.clock.unix();
        let rows = matching::rows(&members, &links, &invites, &pool, now);
        invites.sort_by(|a, b| b.invited_at.cmp(&a.invited_at));
        let unmatched = create::count_unmatched(&rows, &pool);
        Ok(Members { org_id: org.clone(), slug: ws.slug, read_only: !ws.active, fetched_at, linear_error, rows, invites, unmatched, now })
    }

    pub fn redeem_command(&self) -> &str {
        &self.p.settings.redeem_command
    }

    /// The *Link all suggested* list: every suggested member with its match.
    pub async fn suggested(&self, org: &OrgId) -> Result<Vec<LinkRequest>, LinkingError> {
        self.writable_workspace(org).await?;
        let members = self.members(org).await?;
        let (links, invites) = self.rows(org, Freshness::SinceChange).await?;
        let pool = self.pool().await?;
        let now = self.p.clock.unix();
        Ok(matching::rows(&members.users, &links, &invites, &pool, now)
            .into_iter()
            .filter(|r| r.state == LinkState::Suggested)
            .filter_map(|r| {
                let p = r.platform_user?;
                let label = format!("{} → {}", r.user.name, p.email.as_deref().unwrap_or(&p.sub));
                Some(LinkRequest {
                    linear_user_id: LinearUserId::parse(&r.user.id).ok()?,
                    platform_user_id: PlatformUserId::parse(&p.sub).ok()?,
                    replace: None,
                    label: Some(label),
                })
            })
            .collect())
    }

    /// A member that may be linked, or why not.
    async fn linkable_member(&self, org: &OrgId, user: &LinearUserId) -> Result<LinearUser, LinkingError> {
        let find = |m: &[LinearUser]| m.iter().find(|u| u.id == user.as_str()).cloned();
        let members = self.members(org).await?;
        // Not in a cached list: maybe a new member; look once more, fresh.
        let user = match find(&members.users) {
            Some(u) => u,
            None => find(&self.fetch_members(org).await?.users).ok_or(LinkingError::UnknownLinearUser)?,
        };
        match (user.guest, user.app, user.active) {
            (true, ..) => Err(LinkingError::NotLinkable(NotLinkable::Guest)),
            (_, true, _) => Err(LinkingError::NotLinkable(NotLinkable::AppBot)),
            (.., false) => Err(LinkingError::NotLinkable(NotLinkable::Disabled)),
            _ => Ok(user),
        }
    }

    /// A platform user that may be linked to (checked in the pool, not the cache).
    async fn platform_user(&self, sub: &PlatformUserId) -> Result<(), LinkingError> {
        match self.p.directory.by_sub(sub.as_str()).await.map_err(LinkingError::Unavailable)? {
            None => Err(LinkingError::UnknownPlatformUser),
            Some(u) if !u.enabled => Err(LinkingError::PlatformUserDisabled),
            Some(_) => Ok(()),
        }
    }

    /// Links (or, with `replace`, changes the link of) a member, audited. Never overwrites a link
    /// someone else made: the write is conditional and a conflict names who holds it.
    pub async fn link(&self, actor: &Actor, org: &OrgId, req: &LinkRequest) -> Audited<Result<(), LinkingError>> {
        let result = match self.writable_workspace(org).await {
            Ok(_) => self.link_in(&actor.sub, org, req).await,
            Err(e) => Err(e),
        };
        let outcome = self.outcome(org, req, &result).await;
        let recorded = self.p.audit.record(link_event(actor, org, req, &outcome)).await;
        Audited::new(result, recorded)
    }

    /// [`link`](Self::link) in a workspace already known to be writable.
    async fn link_in(&self, admin_sub: &str, org: &OrgId, req: &LinkRequest) -> Result<(), LinkingError> {
        let key = LinkKey::new(org.clone(), req.linear_user_id.clone());
        self.linkable_member(org, &req.linear_user_id).await?;
        self.platform_user(&req.platform_user_id).await?;
        let link = Link::by_console(key, &req.platform_user_id, &iso_millis(self.p.clock.now()), admin_sub);
        match &req.replace {
            None => self.p.mappings.put_new_link(&link).await?,
            Some(expected) => self.p.mappings.replace_link(&link, expected).await?,
        }
        Ok(())
    }

    /// [`link`](Self::link) for many, each with its own outcome and audit event. The workspace is
    /// read once for the whole batch, not once per row.
    pub async fn link_many(&self, actor: &Actor, org: &OrgId, reqs: &[LinkRequest]) -> Audited<Vec<LinkResult>> {
        let ws = self.writable_workspace(org).await;
        let mut out = Vec::with_capacity(reqs.len());
        let mut recorded = Recorded::Yes;
        for req in reqs {
            let result = match &ws {
                Ok(_) => self.link_in(&actor.sub, org, req).await,
                Err(LinkingError::UnknownWorkspace) => Err(LinkingError::UnknownWorkspace),
                Err(LinkingError::ReadOnly) => Err(LinkingError::ReadOnly),
                Err(e) => Err(LinkingError::Unavailable(Unavailable::new(crate::error::Service::DynamoDb, chain(e)))),
            };
            let outcome = self.outcome(org, req, &result).await;
            if self.p.audit.record(link_event(actor, org, req, &outcome)).await == Recorded::No {
                recorded = Recorded::No;
            }
            out.push(LinkResult { linear_user_id: req.linear_user_id.clone(), outcome });
        }
        Audited::new(out, recorded)
    }

    /// A link attempt's result as its row in a report (a conflict names who holds the link).
    async fn outcome(&self, org: &OrgId, req: &LinkRequest, result: &Result<(), LinkingError>) -> LinkOutcome {
        match result {
            Ok(()) => LinkOutcome::Linked,
            Err(LinkingError::Conflict) => LinkOutcome::Conflict { linked_to: self.holder(org, &req.linear_user_id).await },
            Err(LinkingError::Unavailable(_)) => LinkOutcome::Failed,
            Err(e) => LinkOutcome::Refused(e.to_string()),
        }
    }

    /// Who holds a member's link now (email when known), for a conflict's message.
    pub async fn holder(&self, org: &OrgId, user: &LinearUserId) -> String {
        let key = MappingKey::Link(LinkKey::new(org.clone(), user.clone()));
        let sub = match self.p.mappings.get(&key).await {
            Ok(Some(MappingRow::Link(l))) => Some(l.platform_user_id),
            _ => None,
        };
        match sub {
            Some(sub) => self.p.directory.by_sub(sub.as_str()).await.ok().flatten().and_then(|u| u.email).unwrap_or(sub.to_string()),
            None => "nobody now (it was unlinked meanwhile)".into(),
        }
    }

    /// Unlinks a member, only while the link still names `expected`; audited.
    pub async fn unlink(
        &self,
        actor: &Actor,
        org: &OrgId,
        user: &LinearUserId,
        expected: &PlatformUserId,
    ) -> Audited<Result<(), LinkingError>> {
        let result = async {
            self.workspace(org).await?;
            self.p.mappings.delete_link(&LinkKey::new(org.clone(), user.clone()), expected).await?;
            Ok(())
        }
        .await;
        let detail = format!("Linear user {user} from platform user {expected}");
        let recorded = self.record(actor, Action::UserUnlink, org.as_str(), &result, detail).await;
        Audited::new(result, recorded)
    }

    /// Unlinks by the row's key as a form names it (from `/users`), only while it still names
    /// `expected`; audited against the workspace the key names. What is not a link's key (an
    /// invite's, or no key at all) is refused.
    pub async fn unlink_identity(
        &self,
        actor: &Actor,
        identity: &str,
        expected: &PlatformUserId,
    ) -> Audited<Result<LinkKey, LinkingError>> {
        let key = match MappingKey::parse(identity) {
            Ok(MappingKey::Link(key)) => Some(key),
            _ => None,
        };
        let result = async {
            let key = key.clone().ok_or(LinkingError::BadIdentity)?;
            self.p.mappings.delete_link(&key, expected).await?;
            Ok(key)
        }
        .await;
        let org = identity.split('#').next().unwrap_or_default().to_owned();
        let detail = format!("{identity} from platform user {expected}");
        let recorded = self.record(actor, Action::UserUnlink, &org, &result, detail).await;
        Audited::new(result, recorded)
    }

    /// The audit event of a change to a workspace's links: success, refused (the admin's
    /// mistake or a conflict) or failure (a service), with why.
    async fn record<T>(&self, actor: &Actor, action: Action, org: &str, result: &Result<T, LinkingError>, detail: String) -> Recorded {
        let (outcome, detail) = match result {
            Ok(_) => (Outcome::Success, detail),
            Err(e @ (LinkingError::Unavailable(_) | LinkingError::Linear(_))) => (Outcome::Failure, format!("{detail}: {}", chain(e))),
            Err(e) => (Outcome::Refused, format!("{detail}: {e}")),
        };
        self.p.audit.record(actor.event(action, org, outcome, detail)).await
    }

    /// Creates an invite for a member (the contract's pending row, 24 hours); audited with the
    /// code's last 4 characters only (an invite code is a credential of sorts).
    pub async fn invite(&self, actor: &Actor, org: &OrgId, user: &LinearUserId) -> Audited<Result<Invite, LinkingError>> {
        let result = self.create_invite(&actor.sub, org, user).await;
        let detail = match &result {
            Ok(i) => format!(
                "Linear user {user} invited (code …{}, until {})",
                code_tail(i.code.as_str()),
                i.ttl.map(crate::time::iso_of_unix).unwrap_or_default()
            ),
            Err(_) => format!("Linear user {user}"),
        };
        let recorded = self.record(actor, Action::UserInvite, org.as_str(), &result, detail).await;
        Audited::new(result, recorded)
    }

    async fn create_invite(&self, admin_sub: &str, org: &OrgId, user_id: &LinearUserId) -> Result<Invite, LinkingError> {
        let ws = self.writable_workspace(org).await?;
        let user = self.linkable_member(org, user_id).await?;
        let now = self.p.clock.now();
        let who = InviteFor {
            org_id: org.as_str(),
            org_slug: ws.slug.as_deref().unwrap_or_default(),
            user_id: &user.id,
            user_name: &user.name,
            user_email: user.email.as_deref().unwrap_or_default(),
        };
        // A fresh code; a collision (31^8 codes) is retried, never overwritten.
        for _ in 0..3 {
            let invite = Invite::new(self.p.ids.invite_code(), &who, &iso_millis(now), admin_sub, now.unix_timestamp());
            match self.p.mappings.put_new_invite(&invite).await {
                Ok(()) => return Ok(invite),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LinkingError::Conflict)
    }

    /// Revokes (deletes) a pending invite of this workspace, by its code as the form names it;
    /// audited (what is not an invite code is refused).
    pub async fn revoke_invite(&self, actor: &Actor, org: &OrgId, code: &str) -> Audited<Result<(), LinkingError>> {
        let result = async {
            let parsed = InviteCode::parse(code).map_err(|_| LinkingError::BadIdentity)?;
            self.workspace(org).await?;
            self.p.mappings.delete_invite(&parsed, org).await?;
            Ok(())
        }
        .await;
        let tail = code_tail(code);
        let detail = if result.is_ok() { format!("invite …{tail} deleted") } else { format!("invite …{tail}") };
        let recorded = self.record(actor, Action::UserInviteRevoke, org.as_str(), &result, detail).await;
        Audited::new(result, recorded)
    }

    /// Platform users whose email starts with `prefix`, a page at a time, each with its links.
    pub async fn platform_users(
        &self,
        prefix: &str,
        token: Option<String>,
        limit: usize,
        freshness: Freshness,
    ) -> Result<PlatformUsers, LinkingError> {
        let (users, next) = self.p.directory.search(prefix, token, limit).await.map_err(|e| match e {
            SearchError::BadPageToken => LinkingError::BadPageToken,
            SearchError::Unavailable(u) => LinkingError::Unavailable(u),
        })?;
        let slugs = self.slugs().await;
        let lookups = users.iter().map(|u| async move {
            match PlatformUserId::parse(&u.sub) {
                Ok(sub) => self.p.mappings.of_platform_user_shared(&sub, freshness).await,
                Err(_) => Ok(Vec::new()),
            }
        });
        let rows = futures::future::join_all(lookups).await;
        let mut out = Vec::with_capacity(users.len());
        for (user, rows) in users.into_iter().zip(rows) {
            let links = rows?
                .into_iter()
                .filter_map(|row| match row {
                    MappingRow::Link(l) => Some(IdentityLink {
                        workspace_slug: slugs.get(l.key.org_id.as_str()).cloned(),
                        key: l.key,
                        linked_at: l.linked_at,
                        link_method: l.link_method,
                    }),
                    _ => None,
                })
                .collect();
            out.push((user, links));
        }
        Ok(PlatformUsers { users: out, next })
    }

    /// Workspaces' slugs by org id (a registry Scan at most once per pool-cache period). Without
    /// the registry the page still lists the links, with org ids instead of slugs.
    async fn slugs(&self) -> Arc<HashMap<String, String>> {
        let read = || async {
            let records = self.p.registry.all().await?;
            Ok::<_, StoreError>(Arc::new(records.into_iter().filter_map(|r| Some((r.org_id.to_string(), r.slug?))).collect()))
        };
        self.slugs.get_or_read((), Freshness::Shared, read).await.unwrap_or_default()
    }
}

/// An invite code is a credential of sorts: the audit log keeps its last 4 characters only.
fn code_tail(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The audit event of one link attempt.
fn link_event(actor: &Actor, org: &OrgId, req: &LinkRequest, outcome: &LinkOutcome) -> AuditEvent {
    let action = if req.replace.is_some() { Action::UserLinkChange } else { Action::UserLink };
    let what = match &req.replace {
        Some(old) => format!("Linear user {} from platform user {old} to {}", req.linear_user_id, req.platform_user_id),
        None => format!("Linear user {} to platform user {}", req.linear_user_id, req.platform_user_id),
    };
    let outcome_of = match outcome {
        LinkOutcome::Linked => Outcome::Success,
        LinkOutcome::Conflict { .. } | LinkOutcome::Refused(_) => Outcome::Refused,
        LinkOutcome::Failed => Outcome::Failure,
    };
    actor.event(action, org.as_str(), outcome_of, format!("{what}: {}", outcome.words()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};

    fn op() -> Actor {
        Actor { sub: "sub-op".into(), email: "op@example.com".into(), request_id: None }
    }

    fn req(user: &str, sub: &str) -> LinkRequest {
        LinkRequest {
            linear_user_id: LinearUserId::parse(user).unwrap(),
            platform_user_id: PlatformUserId::parse(sub).unwrap(),
            replace: None,
            label: None,
        }
    }

    #[tokio::test]
    async fn a_link_is_written_for_the_platform_and_shown_as_linked() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-ada", "ada@acme.example");
        f.directory.user("s-ada", "ada@acme.example", true);
        let links = f.user_links();
        let done = links.link(&op(), &ws.org, &req("u-ada", "s-ada")).await;
        assert!(done.value.is_ok() && done.recorded.is_recorded());
        let members = links.members_of(&ws.org, Freshness::SinceChange).await.unwrap();
        let ada = members.rows.iter().find(|r| r.user.id == "u-ada").unwrap();
        assert_eq!(ada.state, LinkState::Linked);
        assert_eq!(f.audit.entries()[0].action, "user.link");
    }

    #[tokio::test]
    async fn a_link_someone_made_meanwhile_is_not_overwritten_and_names_its_holder() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-ada", "ada@acme.example");
        f.directory.user("s-ada", "ada@acme.example", true);
        f.directory.user("s-other", "other@acme.example", true);
        let links = f.user_links();
        assert!(links.link(&op(), &ws.org, &req("u-ada", "s-other")).await.value.is_ok());
        let again = links.link(&op(), &ws.org, &req("u-ada", "s-ada")).await;
        assert!(matches!(again.value, Err(LinkingError::Conflict)));
        let batch = links.link_many(&op(), &ws.org, &[req("u-ada", "s-ada")]).await.value;
        assert_eq!(batch[0].outcome, LinkOutcome::Conflict { linked_to: "other@acme.example".into() });
        // A change names the link it replaces: a stale one is a conflict too.
        let stale = LinkRequest { replace: Some(PlatformUserId::parse("s-ada").unwrap()), ..req("u-ada", "s-ada") };
        assert!(matches!(links.link(&op(), &ws.org, &stale).await.value, Err(LinkingError::Conflict)));
        let change = LinkRequest { replace: Some(PlatformUserId::parse("s-other").unwrap()), ..req("u-ada", "s-ada") };
        assert!(links.link(&op(), &ws.org, &change).await.value.is_ok());
        // An unlink naming the wrong platform user changes nothing.
        let wrong = links.unlink(&op(), &ws.org, &LinearUserId::parse("u-ada").unwrap(), &PlatformUserId::parse("s-other").unwrap()).await;
        assert!(matches!(wrong.value, Err(LinkingError::Conflict)));
        assert_eq!(f.mappings.rows_of(&ws.org).len(), 1);
    }

    #[tokio::test]
    async fn members_and_users_that_cannot_be_linked_are_refused_with_nothing_written() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-ok", "ok@acme.example");
        f.api.guest(&ws.org, "u-guest", "guest@acme.example");
        f.directory.user("s-ok", "ok@acme.example", true);
        f.directory.user("s-off", "off@acme.example", false);
        let links = f.user_links();
        let refused = |r: Audited<Result<(), LinkingError>>| r.value.unwrap_err();
        assert!(matches!(
            refused(links.link(&op(), &ws.org, &req("u-guest", "s-ok")).await),
            LinkingError::NotLinkable(NotLinkable::Guest)
        ));
        assert!(matches!(refused(links.link(&op(), &ws.org, &req("u-nobody", "s-ok")).await), LinkingError::UnknownLinearUser));
        assert!(matches!(refused(links.link(&op(), &ws.org, &req("u-ok", "s-gone")).await), LinkingError::UnknownPlatformUser));
        assert!(matches!(refused(links.link(&op(), &ws.org, &req("u-ok", "s-off")).await), LinkingError::PlatformUserDisabled));
        assert!(f.mappings.rows_of(&ws.org).is_empty());
        assert!(f.audit.entries().iter().all(|e| e.outcome == "refused"));
        let revoked = f.install(Workspace::active("gone").revoked());
        assert!(matches!(refused(links.link(&op(), &revoked.org, &req("u-ok", "s-ok")).await), LinkingError::ReadOnly));
    }

    #[tokio::test]
    async fn a_new_member_is_looked_up_again_before_being_called_unknown() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.directory.user("s-new", "new@acme.example", true);
        let links = f.user_links();
        let _ = links.members_of(&ws.org, Freshness::SinceChange).await.unwrap();
        f.api.member(&ws.org, "u-new", "new@acme.example");
        assert!(links.link(&op(), &ws.org, &req("u-new", "s-new")).await.value.is_ok());
    }

    #[tokio::test]
    async fn an_invite_is_a_pending_row_for_a_day_and_its_code_is_never_audited_whole() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-dana", "dana@acme.example");
        let links = f.user_links();
        let user = LinearUserId::parse("u-dana").unwrap();
        let invite = links.invite(&op(), &ws.org, &user).await.value.unwrap();
        assert_eq!(invite.ttl, Some(f.clock.unix() + 24 * 3600));
        let detail = f.audit.entries()[0].detail.clone().unwrap();
        assert!(!detail.contains(invite.code.as_str()) && detail.contains(&invite.code.as_str()[9..]), "{detail}");
        let members = links.members_of(&ws.org, Freshness::SinceChange).await.unwrap();
        assert_eq!(members.rows[0].state, LinkState::Invited);
        assert!(matches!(links.revoke_invite(&op(), &ws.org, "link-0000000").await.value, Err(LinkingError::BadIdentity)));
        assert!(links.revoke_invite(&op(), &ws.org, invite.code.as_str()).await.value.is_ok());
        assert!(f.mappings.rows_of(&ws.org).is_empty());
    }

    #[tokio::test]
    async fn an_expired_invite_is_deleted_when_the_page_reads_it() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        f.api.member(&ws.org, "u-dana", "dana@acme.example");
        let links = f.user_links();
        let _ = links.invite(&op(), &ws.org, &LinearUserId::parse("u-dana").unwrap()).await;
        f.clock.advance(Duration::from_secs(25 * 3600));
        let members = links.members_of(&ws.org, Freshness::SinceChange).await.unwrap();
        assert!(members.invites.is_empty());
        assert!(f.mappings.rows_of(&ws.org).is_empty(), "the platform can no longer redeem it");
    }

    #[tokio::test]
    async fn a_revoked_workspace_lists_its_links_without_linear_and_a_failing_pool_fails_the_page() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme").with_links(1).revoked());
        let links = f.user_links();
        let members = links.members_of(&ws.org, Freshness::SinceChange).await.unwrap();
        assert!(members.read_only && members.linear_error.is_some());
        assert_eq!(members.rows.len(), 1, "the link to a member Linear cannot list");
        let other = f.install(Workspace::active("globex"));
        f.directory.script.fail("all", Fail::Unavailable);
        let fresh = f.user_links();
        assert!(matches!(fresh.members_of(&other.org, Freshness::SinceChange).await, Err(LinkingError::Unavailable(_))));
    }

    #[tokio::test]
    async fn a_reload_refetches_the_members_and_leaves_no_progress_behind() {
        let f = Fakes::new();
        let ws = f.install(Workspace::active("acme"));
        for i in 0..250 {
            f.api.member(&ws.org, &format!("u-{i}"), &format!("m{i}@acme.example"));
        }
        let links = f.user_links();
        assert_eq!(links.reload(&ws.org).await.unwrap(), 250);
        assert_eq!(f.api.script.count("users"), 1);
        assert_eq!(links.reload(&ws.org).await.unwrap(), 250);
        assert_eq!(f.api.script.count("users"), 2, "a reload asks Linear again");
        assert_eq!(links.reload_progress(&ws.org), None, "nothing under way any more");
    }
}
