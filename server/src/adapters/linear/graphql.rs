//! Linear's GraphQL API: the queries the console sends and Linear's error shapes
//! (errors in a 200, authentication errors as 400/401, `RATELIMITED`).
use async_trait::async_trait;
use console_core::ids::ProjectId;
use console_core::ports::{ApiError, InstallFacts, LinearApi, Organization, Progress, Viewer};
pub use console_core::records::members::LinearUser;
use console_core::records::projects::{LinearProject, ProjectTeam};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct LinearGraphql {
    http: reqwest::Client,
    url: String,
}

const INSTALL_QUERY: &str = "query Install($after: String) { viewer { id name } organization { id name urlKey } \
                             teams(first: 100, after: $after) { nodes { key } pageInfo { hasNextPage endCursor } } }";
const TEAMS_QUERY: &str =
    "query Teams($after: String) { teams(first: 100, after: $after) { nodes { key } pageInfo { hasNextPage endCursor } } }";

#[derive(Deserialize)]
struct InstallData {
    viewer: Viewer,
    organization: Organization,
    teams: Connection<Team>,
}

#[derive(Deserialize)]
struct TeamsData {
    teams: Connection<Team>,
}

#[derive(Deserialize)]
struct Team {
    key: String,
}

#[derive(Deserialize)]
struct Connection<T> {
    nodes: Vec<T>,
    #[serde(default, rename = "pageInfo")]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(rename = "hasNextPage")]
    has_next_page: bool,
    #[serde(rename = "endCursor")]
    end_cursor: Option<String>,
}

impl<T> Connection<T> {
    fn next(&self) -> Option<String> {
        self.page_info.as_ref().filter(|p| p.has_next_page).and_then(|p| p.end_cursor.clone())
    }
}

const USERS_QUERY: &str = "query Users($after: String) { users(first: 100, after: $after, includeDisabled: true) { \
                           nodes { id name email displayName active admin guest app } pageInfo { hasNextPage endCursor } } }";

#[derive(Deserialize)]
struct UsersData {
    users: Connection<LinearUser>,
}

const PROJECTS_QUERY: &str = "query Projects($after: String) { projects(first: 50, after: $after) { \
                              nodes { id name state teams(first: 20) { nodes { id key name } } } pageInfo { hasNextPage endCursor } } }";

#[derive(Deserialize)]
struct ProjectsData {
    projects: Connection<ProjectNode>,
}

#[derive(Deserialize)]
struct ProjectNode {
    id: String,
    name: String,
    #[serde(default)]
    state: Option<String>,
    teams: Connection<ProjectTeam>,
}

/// Bounds the projects' paging: 200 pages of 50.
const MAX_PROJECT_PAGES: usize = 200;

/// Bounds the users' paging: 500 pages of 100.
const MAX_USER_PAGES: usize = 500;

/// Bounds paging: a workspace with more than 5,000 teams is not one this console was built for.
const MAX_PAGES: usize = 50;

impl LinearGraphql {
    pub fn new(http: reqwest::Client, api_url: &str) -> LinearGraphql {
        LinearGraphql { http, url: format!("{api_url}/graphql") }
    }
}

#[async_trait]
impl LinearApi for LinearGraphql {
    /// Viewer, organization and every team key, in as few requests as the teams allow.
    async fn install_facts(&self, token: &SecretString) -> Result<InstallFacts, ApiError> {
        let first: InstallData = self.query(token, INSTALL_QUERY, json!({ "after": null })).await?;
        let mut team_keys: Vec<String> = first.teams.nodes.iter().map(|t| t.key.to_uppercase()).collect();
        let mut after = first.teams.next();
        let mut pages = 1;
        while let Some(cursor) = after.take().filter(|_| pages < MAX_PAGES) {
            let page: TeamsData = self.query(token, TEAMS_QUERY, json!({ "after": cursor })).await?;
            team_keys.extend(page.teams.nodes.iter().map(|t| t.key.to_uppercase()));
            after = page.teams.next();
            pages += 1;
        }
        team_keys.sort();
        team_keys.dedup();
        Ok(InstallFacts { viewer: first.viewer, organization: first.organization, team_keys })
    }

    /// Every member, disabled ones included, page by page; `progress(pages, users)` after each page.
    async fn users(&self, token: &SecretString, progress: Progress<'_>) -> Result<Vec<LinearUser>, ApiError> {
        let mut users = Vec::new();
        let mut after: Option<String> = None;
        for page in 1..=MAX_USER_PAGES {
            let data: UsersData = self.query(token, USERS_QUERY, json!({ "after": after })).await?;
            after = data.users.next();
            users.extend(data.users.nodes);
            progress(page, users.len());
            if after.is_none() {
                break;
            }
        }
        Ok(users)
    }

    /// The cheapest authenticated call: who the token acts as.
    async fn viewer(&self, token: &SecretString) -> Result<Viewer, ApiError> {
        #[derive(Deserialize)]
        struct Data {
            viewer: Viewer,
        }
        let d: Data = self.query(token, "query { viewer { id name } }", Value::Null).await?;
        Ok(d.viewer)
    }

    /// Every project with its teams, 50 a page; a project whose id is not an id is skipped.
    async fn projects(&self, token: &SecretString) -> Result<Vec<LinearProject>, ApiError> {
        let mut projects = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PROJECT_PAGES {
            let data: ProjectsData = self.query(token, PROJECTS_QUERY, json!({ "after": after })).await?;
            after = data.projects.next();
            projects.extend(data.projects.nodes.into_iter().filter_map(|p| {
                Some(LinearProject { id: ProjectId::parse(&p.id).ok()?, name: p.name, state: p.state, teams: p.teams.nodes })
            }));
            if after.is_none() {
                break;
            }
        }
        Ok(projects)
    }
}

impl LinearGraphql {
    async fn query<T: DeserializeOwned>(&self, token: &SecretString, query: &str, variables: Value) -> Result<T, ApiError> {
        let res = self
            .http
            .post(&self.url)
            .bearer_auth(token.expose_secret())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| if e.is_timeout() { ApiError::Timeout } else { ApiError::Unreachable })?;
        let status = res.status();
        // Linear's leaky bucket, per token: when nothing remains, say until when (epoch ms).
        let header = |h: &str| res.headers().get(h).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
        let exhausted_until = match (header("x-ratelimit-requests-remaining"), header("x-ratelimit-requests-reset")) {
            (Some(0), Some(reset)) => Some(reset),
            _ => None,
        };
        if status.is_server_error() || status.is_redirection() {
            return Err(ApiError::Unavailable { status: status.as_u16() });
        }
        let body: Value = res.json().await.map_err(|e| if e.is_timeout() { ApiError::Timeout } else { ApiError::Malformed })?;
        if let Some(err) = body.get("errors").and_then(Value::as_array).and_then(|e| e.first()) {
            return Err(match classify_error(err) {
                ApiError::RateLimited { .. } => ApiError::RateLimited { reset_ms: exhausted_until },
                other => other,
            });
        }
        if !status.is_success() {
            return Err(ApiError::Unavailable { status: status.as_u16() });
        }
        serde_json::from_value(body.get("data").cloned().unwrap_or(Value::Null)).map_err(|_| ApiError::Malformed)
    }
}

fn classify_error(err: &Value) -> ApiError {
    let code = err.pointer("/extensions/code").and_then(Value::as_str).unwrap_or("").to_owned();
    let message = err.get("message").and_then(Value::as_str).unwrap_or("").chars().take(200).collect();
    match code.as_str() {
        "AUTHENTICATION_ERROR" | "FORBIDDEN" => ApiError::Unauthenticated { code },
        "RATELIMITED" => ApiError::RateLimited { reset_ms: None },
        "" => ApiError::Query { code: "UNKNOWN".into(), message },
        _ => ApiError::Query { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_error_codes_are_classified() {
        let e = |code: &str| classify_error(&json!({ "message": "m", "extensions": { "code": code } }));
        assert_eq!(e("AUTHENTICATION_ERROR"), ApiError::Unauthenticated { code: "AUTHENTICATION_ERROR".into() });
        assert_eq!(e("RATELIMITED"), ApiError::RateLimited { reset_ms: None });
        assert_eq!(e("INVALID_INPUT"), ApiError::Query { code: "INVALID_INPUT".into(), message: "m".into() });
        assert_eq!(classify_error(&json!({ "message": "boom" })), ApiError::Query { code: "UNKNOWN".into(), message: "boom".into() });
    }
}
