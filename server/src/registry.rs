//! Reads the platform's workspace registry and applies the platform's parsing rules:
//! no slug or no secret ARN is "not registered"; any status but `active` is revoked.
use std::collections::HashMap;

use app::ports::{PortError, PortResult, RegistryPort};
use app::wire::{RegistryState, WorkspaceSummary};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

#[derive(Clone, Debug)]
pub struct Registry {
    client: Client,
    table: String,
}

impl Registry {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Registry { client, table: table.into() }
    }
}

/// The platform's reading of one registry item.
pub fn summarize(item: &HashMap<String, AttributeValue>) -> Option<WorkspaceSummary> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).filter(|v| !v.is_empty()).cloned();
    let org_id = s("linear_workspace_id")?;
    let slug = s("workspace_slug");
    let raw_status = s("status");
    let state = if slug.is_none() || s("oauth_secret_arn").is_none() {
        RegistryState::NotRegistered
    } else if raw_status.as_deref() == Some("active") {
        RegistryState::Active
    } else {
        RegistryState::Revoked
    };
    let team_keys = item
        .get("team_keys")
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|k| k.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    Some(WorkspaceSummary { org_id, slug, state, raw_status, installed_at: s("installed_at"), team_keys })
}

#[async_trait]
impl RegistryPort for Registry {
    async fn list_workspaces(&self) -> PortResult<Vec<WorkspaceSummary>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| PortError {
                    service: "DynamoDB",
                    cause: aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string(),
                })?;
            out.extend(page.items().iter().filter_map(summarize));
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.slug.cmp(&b.slug).then_with(|| a.org_id.cmp(&b.org_id)));
        Ok(out)
    }
}
