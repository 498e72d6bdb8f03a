//! The workspaces as the UI shows them: registry rows read by the platform's rules, and one
//! workspace with what its token bundle says (never the tokens themselves).
use app::ports::{PortError, PortResult, RegistryPort};
use app::wire::{BundleView, WorkspaceDetail, WorkspaceSummary};
use async_trait::async_trait;
use secrecy::ExposeSecret;

use crate::platform::registry_row::{s, summarize};
use crate::platform::token_bundle::StoredBundle;
use crate::registry::{Registry, RegistryError};
use crate::token_store::TokenStore;

#[derive(Clone, Debug)]
pub struct Workspaces {
    registry: Registry,
    tokens: TokenStore,
}

impl Workspaces {
    pub fn new(registry: Registry, tokens: TokenStore) -> Self {
        Workspaces { registry, tokens }
    }
}

fn dynamo(e: RegistryError) -> PortError {
    PortError { service: "DynamoDB", cause: e.to_string() }
}

#[async_trait]
impl RegistryPort for Workspaces {
    async fn list_workspaces(&self) -> PortResult<Vec<WorkspaceSummary>> {
        let mut out: Vec<WorkspaceSummary> = self.registry.items().await.map_err(dynamo)?.iter().filter_map(summarize).collect();
        out.sort_by(|a, b| a.slug.cmp(&b.slug).then_with(|| a.org_id.cmp(&b.org_id)));
        Ok(out)
    }

    async fn workspace(&self, org_id: &str) -> PortResult<Option<WorkspaceDetail>> {
        let Some(item) = self.registry.get(org_id).await.map_err(dynamo)? else { return Ok(None) };
        let Some(summary) = summarize(&item) else { return Ok(None) };
        let secret_arn = s(&item, "oauth_secret_arn");
        let bundle = match &secret_arn {
            None => BundleView::Missing,
            Some(arn) => match self.tokens.read(arn).await.map_err(|e| PortError { service: "Secrets Manager", cause: e.to_string() })? {
                None => BundleView::Missing,
                Some(secret) => match StoredBundle::read(secret.value.expose_secret()) {
                    Ok(b) => BundleView::Present {
                        scope: b.scope,
                        expires_at: b.expires_at,
                        has_tokens: b.has_tokens,
                        has_webhook_secret: b.webhook_signing_secret.is_some(),
                    },
                    Err(_) => BundleView::Unreadable,
                },
            },
        };
        Ok(Some(WorkspaceDetail {
            summary,
            installed_by: s(&item, "installed_by_platform_user_id"),
            updated_at: s(&item, "updated_at"),
            secret_arn,
            revoked_at: s(&item, "revoked_at"),
            revoked_reason: s(&item, "revoked_reason"),
            vault_managed: s(&item, "provider_name").is_some(),
            orphaned_secret_arn: s(&item, "orphaned_oauth_secret_arn"),
            bundle,
        }))
    }
}
