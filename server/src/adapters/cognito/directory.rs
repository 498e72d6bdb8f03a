//! The platform's users, from the Cognito user pool: lookups by sub, email-prefix search (the user
//! picker), the members of the console's groups, the whole pool for link suggestions, and new users
//! made from Linear members.
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::UserType;
use aws_sdk_cognitoidentityprovider::Client;
use console_core::error::{Service, Unavailable};
use console_core::ports::{Directory, SearchError};
use console_core::records::members::PlatformUser;

use crate::adapters::unavailable;

#[derive(Clone, Debug)]
pub struct CognitoDirectory {
    client: Client,
    pool_id: String,
}

fn cognito<E, R>(e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> Unavailable
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    unavailable(Service::Cognito, e)
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

/// The most users read of a group or of the whole pool (pages of 60).
const MAX_USERS: usize = 60_000;

impl CognitoDirectory {
    pub fn new(client: Client, pool_id: impl Into<String>) -> Self {
        CognitoDirectory { client, pool_id: pool_id.into() }
    }
}

#[async_trait]
impl Directory for CognitoDirectory {
    /// A `ListUsers` filter on `sub`.
    async fn by_sub(&self, sub: &str) -> Result<Option<PlatformUser>, Unavailable> {
        let Some(sub) = filter_value(sub) else { return Ok(None) };
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .filter(format!("sub = \"{sub}\""))
            .limit(1)
            .send()
            .await
            .map_err(cognito)?;
        Ok(out.users().first().map(platform_user))
    }

    /// All users when `prefix` is empty.
    async fn search(&self, prefix: &str, token: Option<String>, limit: usize) -> Result<(Vec<PlatformUser>, Option<String>), SearchError> {
        let paged = token.is_some();
        let mut req = self.client.list_users().user_pool_id(&self.pool_id).limit(limit.clamp(1, 60) as i32).set_pagination_token(token);
        let prefix = prefix.trim();
        if !prefix.is_empty() {
            let Some(p) = filter_value(prefix) else { return Ok((Vec::new(), None)) };
            req = req.filter(format!("email ^= \"{p}\""));
        }
        let out = match req.send().await {
            Ok(out) => out,
            // A page token the pool did not make (Cognito: InvalidParameterException; moto: InvalidToken).
            Err(e)
                if paged
                    && e.as_service_error()
                        .and_then(|s| s.code())
                        .is_some_and(|c| matches!(c, "InvalidParameterException" | "InvalidToken")) =>
            {
                return Err(SearchError::BadPageToken)
            }
            Err(e) => return Err(SearchError::Unavailable(cognito(e))),
        };
        Ok((out.users().iter().map(platform_user).collect(), out.pagination_token().map(str::to_owned)))
    }

    /// A group that does not exist has no members.
    async fn group_members(&self, group: &str) -> Result<Vec<PlatformUser>, Unavailable> {
        let mut users =
            self.client.list_users_in_group().user_pool_id(&self.pool_id).group_name(group).limit(60).into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(user) = users.next().await {
            match user {
                Ok(u) => out.push(platform_user(&u)),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(out),
                Err(e) => return Err(cognito(e)),
            }
            if out.len() >= MAX_USERS {
                break;
            }
        }
        Ok(out)
    }

    /// `AdminCreateUser` with the email as username and a verified email attribute; Cognito emails
    /// the temporary password (no `MessageAction`: the pool's own invitation message).
    async fn create(&self, email: &str) -> Result<Option<PlatformUser>, Unavailable> {
        use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};
        let attr = |name: &str, value: &str| {
            AttributeType::builder().name(name).value(value).build().map_err(|e| unavailable(Service::Cognito, e))
        };
        let made = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(email)
            .user_attributes(attr("email", email)?)
            .user_attributes(attr("email_verified", "true")?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await;
        match made {
            Ok(out) => Ok(out.user().map(platform_user)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_username_exists_exception()) => Ok(None),
            Err(e) => Err(cognito(e)),
        }
    }

    async fn all(&self) -> Result<Vec<PlatformUser>, Unavailable> {
        let mut users = self.client.list_users().user_pool_id(&self.pool_id).limit(60).into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(user) = users.next().await {
            out.push(platform_user(&user.map_err(cognito)?));
            if out.len() >= MAX_USERS {
                break;
            }
        }
        Ok(out)
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
