//! The platform's users, from the Cognito user pool: lookups by sub, email-prefix search
//! (the user picker), and the whole pool for link suggestions.
use app::ports::{PortError, PortResult};
use app::wire::PlatformUser;
use aws_sdk_cognitoidentityprovider::types::UserType;
use aws_sdk_cognitoidentityprovider::Client;

#[derive(Clone, Debug)]
pub struct Directory {
    client: Client,
    pool_id: String,
}

fn cognito_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
) -> PortError {
    PortError { service: "Cognito", cause: aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string() }
}

fn platform_user(u: &UserType) -> PlatformUser {
    let attr = |name: &str| u.attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned);
    PlatformUser {
        sub: attr("sub").or_else(|| u.username().map(str::to_owned)).unwrap_or_default(),
        email: attr("email"),
        enabled: u.enabled(),
        status: u.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
    }
}

/// A value inside a `ListUsers` filter's quotes: Cognito has no escaping, so refuse quotes and backslashes.
fn filter_value(v: &str) -> Option<&str> {
    (!v.contains(['"', '\\']) && v.len() <= 256).then_some(v)
}

/// The most `ListUsers` pages read for the whole pool (60 users each).
const MAX_POOL_PAGES: usize = 1_000;

impl Directory {
    pub fn new(client: Client, pool_id: impl Into<String>) -> Self {
        Directory { client, pool_id: pool_id.into() }
    }

    /// The pool user with this `sub`, if there is one (a `ListUsers` filter on `sub`).
    pub async fn by_sub(&self, sub: &str) -> PortResult<Option<PlatformUser>> {
        let Some(sub) = filter_value(sub) else { return Ok(None) };
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .filter(format!("sub = \"{sub}\""))
            .limit(1)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(out.users().first().map(platform_user))
    }

    /// The email of the pool user with this `sub`, if there is one.
    pub async fn email_of(&self, sub: &str) -> Option<String> {
        self.by_sub(sub).await.ok().flatten().and_then(|u| u.email)
    }

    /// Users whose email starts with `prefix` (all users when empty), a page at a time.
    pub async fn search(&self, prefix: &str, token: Option<String>, limit: usize) -> PortResult<(Vec<PlatformUser>, Option<String>)> {
        let mut req = self.client.list_users().user_pool_id(&self.pool_id).limit(limit.clamp(1, 60) as i32).set_pagination_token(token);
        let prefix = prefix.trim();
        if !prefix.is_empty() {
            let Some(p) = filter_value(prefix) else { return Ok((Vec::new(), None)) };
            req = req.filter(format!("email ^= \"{p}\""));
        }
        let out = req.send().await.map_err(cognito_error)?;
        Ok((out.users().iter().map(platform_user).collect(), out.pagination_token().map(str::to_owned)))
    }

    /// Every member of a group, with their status (for the access re-check; the caller caches it).
    /// A group that does not exist has no members.
    pub async fn group_members(&self, group: &str) -> PortResult<Vec<PlatformUser>> {
        let mut users = Vec::new();
        let mut token = None;
        for _ in 0..MAX_POOL_PAGES {
            let out = self
                .client
                .list_users_in_group()
                .user_pool_id(&self.pool_id)
                .group_name(group)
                .limit(60)
                .set_next_token(token)
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(users),
                Err(e) => return Err(cognito_error(e)),
            };
            users.extend(out.users().iter().map(platform_user));
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(users)
    }

    /// Every user of the pool (for suggestions; the caller caches it).
    pub async fn all(&self) -> PortResult<Vec<PlatformUser>> {
        let mut users = Vec::new();
        let mut token = None;
        for _ in 0..MAX_POOL_PAGES {
            let (page, next) = self.search("", token, 60).await?;
            users.extend(page);
            token = next;
            if token.is_none() {
                break;
            }
        }
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_cannot_break_out_of_their_quotes() {
        assert_eq!(filter_value("ada@example.com"), Some("ada@example.com"));
        assert_eq!(filter_value("x\" or sub ^= \""), None);
        assert_eq!(filter_value("back\\slash"), None);
    }
}
