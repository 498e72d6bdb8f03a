//! The GraphQL queries the console sends (`viewer`, `organization`, `teams`, `users` with
//! Relay paging and `includeDisabled`, `projects` with their teams), answered from seed data, with Linear's rate-limit
//! headers and its error shapes (authentication errors, `RATELIMITED`).
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::world::fault_response;
use super::Shared;

#[derive(Deserialize)]
pub struct GraphqlRequest {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))).into_response()
}

/// The integer after `name:` in the query text (`first: 50`), if any.
fn int_arg(query: &str, name: &str) -> Option<usize> {
    let rest = &query[query.find(&format!("{name}:"))? + name.len() + 1..];
    rest.trim_start().chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

pub async fn graphql(State(shared): State<Shared>, headers: HeaderMap, Json(req): Json<GraphqlRequest>) -> Response {
    let fault = shared.lock().await.take_fault("graphql");
    if let Some(f) = fault {
        return fault_response(f).await;
    }
    let mut w = shared.lock().await;
    let token =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("").to_owned();
    let limit = w.settings.rate_limit;
    let app_name = w.settings.app_name.clone();
    let Some(at) = w.access.get_mut(&token) else {
        return error(StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", "Authentication required, not authenticated");
    };
    if at.expires <= std::time::Instant::now() {
        return error(StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", "Access token expired");
    }
    at.used += 1;
    let used = at.used;
    let grant = at.grant;
    let Some(g) = w.grants.get(&grant).filter(|g| !g.revoked) else {
        return error(StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", "Access token revoked");
    };
    let remaining = limit.saturating_sub(used);
    let rate_headers = [
        ("x-ratelimit-requests-limit", limit.to_string()),
        ("x-ratelimit-requests-remaining", remaining.to_string()),
        (
            "x-ratelimit-requests-reset",
            (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() + 3_600_000).to_string(),
        ),
        ("x-complexity", "1".to_string()),
    ];
    if used > limit {
        let mut res = error(StatusCode::BAD_REQUEST, "RATELIMITED", "Rate limit exceeded");
        add_headers(&mut res, &rate_headers);
        return res;
    }
    let Some(org) = w.org(&g.org_id).cloned() else {
        return error(StatusCode::BAD_REQUEST, "INVALID_INPUT", "Unknown organization");
    };
    let q = req.query.as_str();
    let vars = req.variables.unwrap_or(Value::Null);
    let mut data = serde_json::Map::new();
    if q.contains("viewer") {
        data.insert(
            "viewer".into(),
            json!({ "id": format!("app-user-{}", org.id), "name": app_name, "email": format!("bgagent-{}@oauthapp.linear.app", org.url_key) }),
        );
    }
    if q.contains("organization") {
        data.insert("organization".into(), json!({ "id": org.id, "name": org.name, "urlKey": org.url_key }));
    }
    if q.contains("projects") {
        let first = int_arg(q, "first").unwrap_or(50).clamp(1, 250);
        let start =
            vars["after"].as_str().and_then(|c| c.strip_prefix("cursor:")).and_then(|n| n.parse::<usize>().ok()).map_or(0, |n| n + 1);
        let page: Vec<Value> = org
            .projects
            .iter()
            .skip(start)
            .take(first)
            .map(|p| {
                let teams: Vec<Value> = p.teams.iter().map(|k| json!({ "id": super::seed::team_id(k), "key": k, "name": k })).collect();
                json!({ "id": p.id, "name": p.name, "state": p.state, "teams": { "nodes": teams } })
            })
            .collect();
        let end = start + page.len();
        data.insert(
            "projects".into(),
            json!({ "nodes": page, "pageInfo": { "hasNextPage": end < org.projects.len(), "endCursor": if end > start { Some(format!("cursor:{}", end - 1)) } else { None } } }),
        );
    } else if q.contains("teams") {
        let nodes: Vec<Value> = org.teams.iter().map(|k| json!({ "key": k })).collect();
        data.insert("teams".into(), json!({ "nodes": nodes, "pageInfo": { "hasNextPage": false, "endCursor": null } }));
    }
    if q.contains("users") {
        let first = int_arg(q, "first").unwrap_or(50).clamp(1, 250);
        let include_disabled = q.contains("includeDisabled: true") || vars["includeDisabled"] == json!(true);
        let start =
            vars["after"].as_str().and_then(|c| c.strip_prefix("cursor:")).and_then(|n| n.parse::<usize>().ok()).map_or(0, |n| n + 1);
        let visible: Vec<_> = org.users.iter().filter(|u| include_disabled || u.active).collect();
        let page: Vec<Value> = visible
            .iter()
            .enumerate()
            .skip(start)
            .take(first)
            .map(|(_, u)| {
                json!({ "id": u.id, "name": u.name, "email": u.email, "displayName": u.display_name,
                        "active": u.active, "admin": u.admin, "guest": u.guest, "app": u.app })
            })
            .collect();
        let end = start + page.len();
        data.insert(
            "users".into(),
            json!({ "nodes": page, "pageInfo": { "hasNextPage": end < visible.len(), "endCursor": if end > start { Some(format!("cursor:{}", end - 1)) } else { None } } }),
        );
    }
    let mut res = Json(json!({ "data": data })).into_response();
    add_headers(&mut res, &rate_headers);
    res
}

fn add_headers(res: &mut Response, headers: &[(&'static str, String)]) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            res.headers_mut().insert(*k, v);
        }
    }
}
