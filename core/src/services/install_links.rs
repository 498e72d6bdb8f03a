//! Install and reconnect links: made by an admin (shown once), listed with their state, revoked;
//! opened by a Linear workspace admin with no console account. What the consent then writes is
//! the installer's (`Installer::callback` with the link's consent), exactly as an admin's install.
use std::sync::Arc;

use crate::audit::{Action, Actor, Outcome};
use crate::error::{chain, StoreError, Unavailable};
use crate::ports::{Ids, InstallLinkStore, RegistryStore};
use crate::records::install_links::{Bound, InstallLink, LinkToken, LinkUse, Purpose, MAX_HOURS, MIN_HOURS};
use crate::services::audit::{AuditLog, Audited};
use crate::time::{iso_of_unix, Clock};

/// A link an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub purpose: Purpose,
    pub bound: Option<Bound>,
    pub note: Option<String>,
    pub hours: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("a link lives from {MIN_HOURS} hour to {MAX_HOURS} hours (7 days)")]
    BadExpiry,
    #[error("the workspace to reconnect is not in the registry")]
    UnknownWorkspace,
    #[error("that link is no longer waiting (used, expired or revoked)")]
    NotWaiting,
    #[error("{0}")]
    Unavailable(#[source] Unavailable),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> LinkError {
        match e {
            StoreError::Conflict => LinkError::NotWaiting,
            StoreError::Unavailable(u) => LinkError::Unavailable(u),
        }
    }
}

pub struct InstallLinksParts {
    pub links: Arc<dyn InstallLinkStore>,
    pub registry: Arc<dyn RegistryStore>,
    pub audit: Arc<AuditLog>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
}

pub struct InstallLinks {
    p: InstallLinksParts,
}

fn describe(link: &InstallLink) -> String {
    let what = match &link.purpose {
        Purpose::Install => "install".to_owned(),
        Purpose::Reconnect(org) => format!("reconnect of {org}"),
    };
    let bound = link.bound.as_ref().map(|b| format!(", only for {}", b.describe())).unwrap_or_default();
    format!("link …{} ({what}{bound}), until {}", link.tail, iso_of_unix(link.expires_at))
}

impl InstallLinks {
    pub fn new(p: InstallLinksParts) -> InstallLinks {
        InstallLinks { p }
    }

    /// Makes a link: the token (to show once) and what is stored of it. Audited without the token.
    pub async fn create(&self, actor: &Actor, new: NewLink) -> Audited<Result<(LinkToken, InstallLink), LinkError>> {
        let result = self.create_unaudited(actor, &new).await;
        let target = match &new.purpose {
            Purpose::Reconnect(org) => Some(org.as_str()),
            Purpose::Install => None,
        };
        let (outcome, detail) = match &result {
            Ok((_, link)) => (Outcome::Success, format!("{} made", describe(link))),
            Err(e @ LinkError::Unavailable(_)) => (Outcome::Failure, format!("install link not made: {}", chain(e))),
            Err(e) => (Outcome::Refused, format!("install link not made: {e}")),
        };
        let recorded = self.p.audit.record(actor.event(Action::InstallLinkCreate, target, outcome, detail)).await;
        Audited::new(result, recorded)
    }

    async fn create_unaudited(&self, actor: &Actor, new: &NewLink) -> Result<(LinkToken, InstallLink), LinkError> {
        if !(MIN_HOURS..=MAX_HOURS).contains(&new.hours) {
            return Err(LinkError::BadExpiry);
        }
        let slug = match &new.purpose {
            Purpose::Reconnect(org) => self.p.registry.get(org).await?.ok_or(LinkError::UnknownWorkspace)?.slug,
            Purpose::Install => None,
        };
        let now = self.p.clock.unix();
        let token = self.p.ids.link_token();
        let link = InstallLink {
            id: token.id(),
            tail: token.tail(),
            created_by_sub: actor.sub.clone(),
            created_by_email: actor.email.clone(),
            created_at: now,
            expires_at: now + i64::from(new.hours) * 3600,
            purpose: new.purpose.clone(),
            slug,
            bound: new.bound.clone(),
            note: new.note.clone(),
            state: LinkUse::Waiting,
        };
        self.p.links.create(&link).await?;
        Ok((token, link))
    }

    /// Every link, newest first.
    pub async fn list(&self) -> Result<Vec<InstallLink>, Unavailable> {
        let mut links = self.p.links.all().await?;
        links.sort_by_key(|l| std::cmp::Reverse(l.created_at));
        Ok(links)
    }

    /// *Revoke* a waiting link; audited.
    pub async fn revoke(&self, actor: &Actor, id: &str) -> Audited<Result<(), LinkError>> {
        let now = self.p.clock.unix();
        let result = self.p.links.revoke(id, &actor.email, now).await.map_err(LinkError::from);
        let tail: String = id.chars().take(8).collect();
        let (outcome, detail) = match &result {
            Ok(()) => (Outcome::Success, format!("install link {tail}… revoked")),
            Err(e @ LinkError::Unavailable(_)) => (Outcome::Failure, format!("install link {tail}…: {}", chain(e))),
            Err(e) => (Outcome::Refused, format!("install link {tail}…: {e}")),
        };
        let recorded = self.p.audit.record(actor.event(Action::InstallLinkRevoke, None, outcome, detail)).await;
        Audited::new(result, recorded)
    }

    /// The waiting link `token` opens, or `None` for every other case alike (no such link, used,
    /// expired, revoked): the answer tells a guesser nothing. One read whatever the token.
    pub async fn open(&self, token: &LinkToken) -> Result<Option<InstallLink>, Unavailable> {
        let now = self.p.clock.unix();
        let link = self.p.links.get(&token.id()).await?;
        Ok(link.filter(|l| l.status(now) == crate::records::install_links::LinkStatus::Waiting))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{Fail, Fakes, Workspace};
    use crate::ids::{OrgId, UrlKey};
    use crate::records::install_links::LinkStatus;

    fn admin() -> Actor {
        Actor { sub: "sub-admin".into(), email: "admin@example.com".into(), request_id: None }
    }

    fn new(purpose: Purpose, hours: u32) -> NewLink {
        NewLink { purpose, bound: Some(Bound::UrlKey(UrlKey::parse("acme-eng").unwrap())), note: Some("Hi".into()), hours }
    }

    #[tokio::test]
    async fn a_link_is_stored_as_its_hash_opens_while_waiting_and_is_audited_without_its_token() {
        let f = Fakes::new();
        let links = f.install_links();
        let (token, link) = links.create(&admin(), new(Purpose::Install, 24)).await.value.unwrap();
        assert_eq!(link.id, token.id());
        let stored = f.install_link_store.all_links();
        assert_eq!(stored.len(), 1);
        assert!(!format!("{stored:?}").contains(token.expose()), "the token itself is not stored");
        assert_eq!(links.open(&token).await.unwrap().map(|l| l.id), Some(link.id.clone()));
        let entries = f.audit.entries();
        assert_eq!((entries[0].action.as_str(), entries[0].outcome.as_str()), ("install_link.create", "success"));
        assert!(!entries[0].detail.as_deref().unwrap().contains(token.expose()));
        // Expired, it opens nothing, as an unknown token does.
        f.clock.advance(std::time::Duration::from_secs(24 * 3600));
        assert_eq!(links.open(&token).await.unwrap(), None);
        assert_eq!(links.list().await.unwrap()[0].status(f.clock.unix()), LinkStatus::Expired);
        let unknown = LinkToken::parse(&"0".repeat(64)).unwrap();
        assert_eq!(links.open(&unknown).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_revoked_link_opens_nothing_and_cannot_be_revoked_twice() {
        let f = Fakes::new();
        let links = f.install_links();
        let (token, link) = links.create(&admin(), new(Purpose::Install, 1)).await.value.unwrap();
        assert!(links.revoke(&admin(), &link.id).await.value.is_ok());
        assert_eq!(links.open(&token).await.unwrap(), None);
        assert!(matches!(links.revoke(&admin(), &link.id).await.value, Err(LinkError::NotWaiting)));
        assert_eq!(links.list().await.unwrap()[0].status(f.clock.unix()), LinkStatus::Revoked);
    }

    #[tokio::test]
    async fn a_bad_expiry_or_an_unknown_workspace_makes_nothing() {
        let f = Fakes::new();
        let links = f.install_links();
        for hours in [0, MAX_HOURS + 1] {
            assert!(matches!(links.create(&admin(), new(Purpose::Install, hours)).await.value, Err(LinkError::BadExpiry)));
        }
        let gone = Purpose::Reconnect(OrgId::parse("org-gone").unwrap());
        assert!(matches!(links.create(&admin(), new(gone, 24)).await.value, Err(LinkError::UnknownWorkspace)));
        let ws = f.install(Workspace::active("acme-eng").revoked());
        let (_, link) = links.create(&admin(), new(Purpose::Reconnect(ws.org.clone()), 24)).await.value.unwrap();
        assert_eq!(link.must_be(), Some(Bound::Org(ws.org)));
        assert_eq!(f.install_link_store.all_links().len(), 1);
        f.install_link_store.script.fail("create", Fail::Unavailable);
        assert!(matches!(links.create(&admin(), new(Purpose::Install, 24)).await.value, Err(LinkError::Unavailable(_))));
        assert_eq!(f.audit.entries().iter().filter(|e| e.outcome == "refused").count(), 3);
    }
}
