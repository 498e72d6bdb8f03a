//! Personal data, one rule for every way out. **Who sees emails:** operators and admins see people's
//! emails (they link, invite and create people); a viewer sees everyone by name and every email but
//! their own masked (`a***@example.com`), on every page and in every server function's answer (the
//! response is masked here, whatever produced it), and exports nothing with people in it (the CSV
//! and JSON exports need an operator). **How fast:** the lists of people (the audit log, the pool's
//! users, a workspace's Linear members and the pickers) answer at most [`PEOPLE_PAGES_PER_MINUTE`]
//! (60) pages a minute per session, whatever the role, pages and server functions alike (429 beyond);
//! exports at most five a minute. The security check tests both for every role.
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::edge::{CurrentSession, Member};
use app::identity::Role;

use crate::web::state::AppState;
#[cfg(doc)]
use crate::web::state::PEOPLE_PAGES_PER_MINUTE;

/// The largest response masked (a page or an answer is far smaller; anything larger is refused
/// rather than passed unmasked).
const MASK_LIMIT: usize = 32 * 1024 * 1024;

/// The paths that list people, page by page.
pub fn lists_people(path: &str) -> bool {
    matches!(
        path,
        "/audit"
            | "/users"
            | "/api/audit"
            | "/api/audit_search"
            | "/api/platform_users"
            | "/api/workspace_users"
            | "/api/suggested_links"
            | "/api/unmatched_members"
            | "/api/workspace_drops"
    ) || (path.starts_with("/workspaces/") && path.ends_with("/users"))
}

pub async fn personal_data(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let member = req.extensions().get::<Member>().cloned();
    let Some(member) = member else { return next.run(req).await };
    let path = req.uri().path();
    // Counted when answered (a refused argument reads nobody): the next page past the budget waits.
    let counted = lists_people(path)
        .then(|| req.extensions().get::<CurrentSession>().map(|c| c.0.clone()).unwrap_or_else(|| member.identity().sub.clone()));
    if let Some(who) = &counted {
        if state.people_pages.full(who, app::edge::now_unix()) {
            return (StatusCode::TOO_MANY_REQUESTS, "Too many pages of people in a minute: wait a moment and try again.").into_response();
        }
    }
    let response = next.run(req).await;
    if let (Some(who), true) = (&counted, response.status().is_success()) {
        state.people_pages.record(who, app::edge::now_unix());
    }
    if member.identity().role != Role::Viewer {
        return response;
    }
    masked(response, &member.identity().email).await
}

/// The response with every email but `own` masked (its text types only).
async fn masked(response: Response, own: &str) -> Response {
    let textual = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/") || t.contains("json"));
    if !textual {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MASK_LIMIT).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "The answer was too large to show.").into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let out = mask_emails(&text, own);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

fn local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-')
}

fn domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// `text` with the local part of every email (`ada@example.com`, and URL-encoded `ada%40example.com`)
/// but `own` cut to its first character and `***`.
pub fn mask_emails(text: &str, own: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let at_len = if b[i] == b'@' {
            1
        } else if b[i] == b'%' && b.get(i + 1) == Some(&b'4') && b.get(i + 2) == Some(&b'0') {
            3
        } else {
            i += 1;
            continue;
        };
        let mut start = i;
        while start > copied && local_char(b[start - 1]) {
            start -= 1;
        }
        let mut end = i + at_len;
        while end < b.len() && domain_char(b[end]) {
            end += 1;
        }
        let domain = &text[i + at_len..end];
        let domain = domain.trim_end_matches(['.', '-']);
        let shaped = start < i
            && domain.contains('.')
            && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()));
        if !shaped {
            i += at_len;
            continue;
        }
        let email = format!("{}@{}", &text[start..i], domain);
        if !email.eq_ignore_ascii_case(own) {
            out.push_str(&text[copied..start + 1]);
            out.push_str("***");
            copied = i;
        }
        i += at_len + domain.len();
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_but_the_viewers_own_is_masked_in_text_json_and_urls() {
        let own = "viewer@example.com";
        assert_eq!(mask_emails("by ada@example.com.", own), "by a***@example.com.");
        assert_eq!(mask_emails(r#"{"actor_email":"ops.lead+x@corp.example.org"}"#, own), r#"{"actor_email":"o***@corp.example.org"}"#);
        assert_eq!(mask_emails("/users?email=ada%40example.com&x=1", own), "/users?email=a***%40example.com&x=1");
        assert_eq!(mask_emails("signed in as Viewer@Example.com", own), "signed in as Viewer@Example.com");
    }

    #[test]
    fn what_is_not_an_email_is_left_alone() {
        let own = "v@example.com";
        for text in ["@mention", "user@localhost", "x @ y.com", "price 100%40", "css @media (x)", "a@b.c1"] {
            assert_eq!(mask_emails(text, own), text);
        }
    }
}
