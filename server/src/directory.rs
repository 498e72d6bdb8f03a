//! The platform's users, from the Cognito user pool.
use app::ports::{DirectoryPort, PortError, PortResult};
use app::wire::PlatformUser;
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;

#[derive(Clone, Debug)]
pub struct Directory {
    client: Client,
    pool_id: String,
}

impl Directory {
    pub fn new(client: Client, pool_id: impl Into<String>) -> Self {
        Directory { client, pool_id: pool_id.into() }
    }
}

impl Directory {
    /// The email of the pool user with this `sub`, if there is one (a `ListUsers` filter on `sub`).
    pub async fn email_of(&self, sub: &str) -> Option<String> {
        if sub.contains('"') {
            return None;
        }
        let out = self.client.list_users().user_pool_id(&self.pool_id).filter(format!("sub = \"{sub}\"")).limit(1).send().await.ok()?;
        let user = out.users().first()?;
        user.attributes().iter().find(|a| a.name() == "email").and_then(|a| a.value()).map(str::to_owned)
    }
}

#[async_trait]
impl DirectoryPort for Directory {
    async fn list_users(&self, limit: usize) -> PortResult<Vec<PlatformUser>> {
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .limit(limit.clamp(1, 60) as i32)
            .send()
            .await
            .map_err(|e| PortError {
                service: "Cognito",
                cause: aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string(),
            })?;
        Ok(out
            .users()
            .iter()
            .map(|u| {
                let attr = |name: &str| {
                    u.attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned)
                };
                PlatformUser {
                    sub: attr("sub").or_else(|| u.username().map(str::to_owned)).unwrap_or_default(),
                    email: attr("email"),
                    enabled: u.enabled(),
                    status: u.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                }
            })
            .collect())
    }
}
