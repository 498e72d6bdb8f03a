//! The users pages' changes behind their server functions: link (or change), unlink, link all
//! suggested, invite, revoke an invite, reload from Linear, and unlink from `/users`. Each calls
//! the user-links service (which audits it) and answers where the browser goes next: the same
//! view of the page, with the typed outcome.
use std::sync::Arc;

use app::outcomes::{LinkNotice, Notice, UsersNotice};
use app::ports::{Actor as Author, LinkActionsPort, UsersView};
use app::user_links_view::{LinkOutcome, LinkRequest};
use async_trait::async_trait;

use crate::domain::audit::Actor;
use crate::services::user_links::{LinkingError, UserLinks};
use crate::web::security::encode_component;

pub struct LinkActions {
    pub links: Arc<UserLinks>,
}

/// The workspace's users page, on the view the form came from, with `outcome` appended.
fn back(org_id: &str, view: &UsersView, outcome: &str) -> String {
    let mut query: Vec<String> = Vec::new();
    if !view.q.is_empty() {
        query.push(format!("q={}", encode_component(&view.q)));
    }
    if !view.state.is_empty() {
        query.push(format!("state={}", encode_component(&view.state)));
    }
    if let Ok(p) = view.page.parse::<usize>() {
        query.push(format!("page={p}"));
    }
    query.push(outcome.to_owned());
    format!("/workspaces/{}/users?{}", encode_component(org_id), query.join("&"))
}

/// The banner of a refusal or failure.
fn refusal(e: &LinkingError) -> LinkNotice {
    match e {
        LinkingError::UnknownWorkspace => LinkNotice::UnknownWorkspace,
        LinkingError::ReadOnly => LinkNotice::ReadOnly,
        LinkingError::UnknownLinearUser => LinkNotice::UnknownLinearUser,
        LinkingError::NotLinkable(_) => LinkNotice::NotLinkable,
        LinkingError::UnknownPlatformUser => LinkNotice::UnknownPlatformUser,
        LinkingError::PlatformUserDisabled => LinkNotice::PlatformUserDisabled,
        LinkingError::BadIdentity => LinkNotice::BadIdentity,
        LinkingError::Conflict => LinkNotice::Conflict,
        LinkingError::Linear(_) => LinkNotice::LinearUnavailable,
        LinkingError::Unavailable(_) => LinkNotice::Unavailable,
    }
}

/// The banner on `/users` (an unlink by identity).
fn users_refusal(e: &LinkingError) -> UsersNotice {
    match e {
        LinkingError::Conflict => UsersNotice::Conflict,
        LinkingError::BadIdentity => UsersNotice::BadIdentity,
        _ => UsersNotice::Unavailable,
    }
}

/// `notice=…&who=<linear user>` (the page marks that row), or the refusal.
fn about(result: Result<(), &LinkingError>, done: LinkNotice, who: &str) -> String {
    let notice = match result {
        Ok(()) => done,
        Err(e) => refusal(e),
    };
    format!("{}&who={}", notice.query(), encode_component(who))
}

#[async_trait]
impl LinkActionsPort for LinkActions {
    async fn link(&self, author: &Author, org_id: &str, req: LinkRequest, view: &UsersView) -> String {
        let result = self.links.link(&Actor::from(author), org_id, &req).await;
        let done = if req.replace.is_some() { LinkNotice::Changed } else { LinkNotice::Linked };
        back(org_id, view, &about(result.as_ref().map(|_| ()), done, &req.linear_user_id))
    }

    async fn unlink(&self, author: &Author, org_id: &str, linear_user_id: &str, platform_user_id: &str, view: &UsersView) -> String {
        let result = self.links.unlink(&Actor::from(author), org_id, linear_user_id, platform_user_id).await;
        back(org_id, view, &about(result.as_ref().map(|_| ()), LinkNotice::Unlinked, linear_user_id))
    }

    async fn link_suggested(&self, author: &Author, org_id: &str, view: &UsersView) -> String {
        let reqs = match self.links.suggested(org_id).await {
            Ok(r) => r,
            Err(e) => return back(org_id, view, &refusal(&e).query()),
        };
        let results = self.links.link_many(&Actor::from(author), org_id, &reqs).await;
        let mut tally = [0usize; 4];
        for r in &results {
            tally[match r.outcome {
                LinkOutcome::Linked => 0,
                LinkOutcome::Conflict { .. } => 1,
                LinkOutcome::Refused(_) => 2,
                LinkOutcome::Failed => 3,
            }] += 1;
        }
        let counts = format!("linked={}&conflicts={}&refused={}&failed={}", tally[0], tally[1], tally[2], tally[3]);
        back(org_id, view, &format!("{}&{counts}", LinkNotice::Bulk.query()))
    }

    async fn invite(&self, author: &Author, org_id: &str, linear_user_id: &str, view: &UsersView) -> String {
        let result = self.links.invite(&Actor::from(author), org_id, linear_user_id).await;
        back(org_id, view, &about(result.as_ref().map(|_| ()), LinkNotice::Invited, linear_user_id))
    }

    async fn revoke_invite(&self, author: &Author, org_id: &str, code: &str, view: &UsersView) -> String {
        let notice = match self.links.revoke_invite(&Actor::from(author), org_id, code).await {
            Ok(()) => LinkNotice::InviteRevoked,
            Err(e) => refusal(&e),
        };
        back(org_id, view, &notice.query())
    }

    async fn reload(&self, org_id: &str, view: &UsersView) -> String {
        match self.links.reload(org_id).await {
            Ok(n) => back(org_id, view, &format!("{}&count={n}", LinkNotice::Reloaded.query())),
            Err(e) => back(org_id, view, &refusal(&e).query()),
        }
    }

    async fn unlink_identity(&self, author: &Author, identity: &str, platform_user_id: &str, email: &str) -> String {
        let notice = match self.links.unlink_identity(&Actor::from(author), identity, platform_user_id).await {
            Ok(_) => UsersNotice::Unlinked.query(),
            Err(e) => users_refusal(&e).query(),
        };
        let email = if email.is_empty() { String::new() } else { format!("email={}&", encode_component(email)) };
        format!("/users?{email}{notice}")
    }
}
