//! The platform's project-mapping table (contract §3, §10) and its repository table (read only).
//! A mapping is written as one whole-row Put, exactly the CLI's attributes plus
//! `linear_workspace_id`, on condition that the row is still the version the page showed.
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use console_core::error::{StoreError, Unavailable};
use console_core::ids::ProjectId;
use console_core::ports::{ProjectMappings, Repositories};
use console_core::records::projects::{ProjectMapping, Repository, Version};

use super::registry::s;
use super::{put_texts, text, Item};
use crate::adapters::{dynamo, dynamo_down};

/// A mapping row as anyone wrote it; a row whose key is not a project id is skipped.
pub fn read(item: &Item) -> Option<ProjectMapping> {
    Some(ProjectMapping {
        project_id: ProjectId::parse(&s(item, "linear_project_id")?).ok()?,
        repo: s(item, "repo"),
        label_filter: s(item, "label_filter"),
        team_id: s(item, "team_id"),
        status: s(item, "status"),
        onboarded_at: s(item, "onboarded_at"),
        updated_at: s(item, "updated_at"),
        workspace_id: s(item, "linear_workspace_id"),
    })
}

/// The row as the CLI's `onboard-project` writes it, plus `linear_workspace_id`.
pub fn item(m: &ProjectMapping) -> Item {
    let mut item = HashMap::from([("linear_project_id".to_owned(), text(m.project_id.as_str()))]);
    put_texts(
        &mut item,
        &[
            ("repo", &m.repo),
            ("label_filter", &m.label_filter),
            ("team_id", &m.team_id),
            ("status", &m.status),
            ("onboarded_at", &m.onboarded_at),
            ("updated_at", &m.updated_at),
            ("linear_workspace_id", &m.workspace_id),
        ],
    );
    item
}

#[derive(Clone, Debug)]
pub struct DynamoProjectMappings {
    client: Client,
    table: String,
}

impl DynamoProjectMappings {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoProjectMappings {
        DynamoProjectMappings { client, table: table.into() }
    }
}

#[async_trait]
impl ProjectMappings for DynamoProjectMappings {
    async fn all(&self) -> Result<Vec<ProjectMapping>, StoreError> {
        let items = self.client.scan().table_name(&self.table).into_paginator().items().send().try_collect().await.map_err(dynamo_down)?;
        Ok(items.iter().filter_map(read).collect())
    }

    async fn get(&self, project: &ProjectId) -> Result<Option<ProjectMapping>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("linear_project_id", text(project.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo_down)?;
        Ok(out.item.as_ref().and_then(read))
    }

    async fn put(&self, row: &ProjectMapping, expected: &Version) -> Result<(), StoreError> {
        let req = self.client.put_item().table_name(&self.table).set_item(Some(item(row)));
        let req = match expected {
            Version::Absent => req.condition_expression("attribute_not_exists(linear_project_id)"),
            Version::Exists(None) => req.condition_expression("attribute_exists(linear_project_id) AND attribute_not_exists(updated_at)"),
            Version::Exists(Some(at)) => {
                req.condition_expression("updated_at = :seen").expression_attribute_values(":seen", AttributeValue::S(at.clone()))
            }
        };
        req.send().await.map_err(dynamo)?;
        Ok(())
    }
}

/// The platform's repository table: `repo` (`owner/repo`) and `status`.
#[derive(Clone, Debug)]
pub struct DynamoRepositories {
    client: Client,
    table: String,
}

impl DynamoRepositories {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoRepositories {
        DynamoRepositories { client, table: table.into() }
    }
}

#[async_trait]
impl Repositories for DynamoRepositories {
    async fn all(&self) -> Result<Vec<Repository>, Unavailable> {
        let items = self
            .client
            .scan()
            .table_name(&self.table)
            .projection_expression("#r, #s")
            .expression_attribute_names("#r", "repo")
            .expression_attribute_names("#s", "status")
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(dynamo_down)?;
        Ok(items.iter().filter_map(|i| Some(Repository { repo: s(i, "repo")?, status: s(i, "status") })).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_written_is_the_row_read() {
        let p = ProjectId::parse("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d").unwrap();
        let m = ProjectMapping {
            project_id: p,
            repo: Some("acme/web".into()),
            label_filter: Some("bgagent".into()),
            team_id: None,
            status: Some("active".into()),
            onboarded_at: Some("2026-12-01T00:00:00.000Z".into()),
            updated_at: Some("2026-12-01T00:00:00.000Z".into()),
            workspace_id: Some("org-1".into()),
        };
        let written = item(&m);
        assert!(!written.contains_key("team_id"), "an unset attribute is left out, as the CLI does");
        assert_eq!(read(&written), Some(m));
    }
}
