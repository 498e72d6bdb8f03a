//! The project-mapping table and the platform's repository table in memory, with the adapter's
//! condition on every write.
use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, Script};
use crate::error::{Service, StoreError, Unavailable};
use crate::ids::ProjectId;
use crate::ports::{ProjectMappings, Repositories};
use crate::records::projects::{ProjectMapping, Repository, Version};

pub struct FakeProjectMappings {
    pub script: Script,
    rows: Mutex<BTreeMap<String, ProjectMapping>>,
}

impl FakeProjectMappings {
    pub(super) fn new(script: Script) -> FakeProjectMappings {
        FakeProjectMappings { script, rows: Mutex::default() }
    }

    /// Puts a row as someone else (the CLI, another admin) wrote it.
    pub fn put_row(&self, row: ProjectMapping) {
        lock(&self.rows).insert(row.project_id.to_string(), row);
    }

    pub fn row(&self, id: &ProjectId) -> Option<ProjectMapping> {
        lock(&self.rows).get(id.as_str()).cloned()
    }

    pub fn rows(&self) -> Vec<ProjectMapping> {
        lock(&self.rows).values().cloned().collect()
    }

    fn enter(&self, op: &'static str) -> Result<(), StoreError> {
        self.script.enter(op).map_err(|f| f.store(Service::DynamoDb))
    }
}

#[async_trait]
impl ProjectMappings for FakeProjectMappings {
    async fn all(&self) -> Result<Vec<ProjectMapping>, StoreError> {
        self.enter("all")?;
        Ok(self.rows())
    }

    async fn get(&self, project: &ProjectId) -> Result<Option<ProjectMapping>, StoreError> {
        self.enter("get")?;
        Ok(self.row(project))
    }

    async fn put(&self, row: &ProjectMapping, expected: &Version) -> Result<(), StoreError> {
        self.enter("put")?;
        let mut rows = lock(&self.rows);
        let holds = match (rows.get(row.project_id.as_str()), expected) {
            (None, Version::Absent) => true,
            (Some(current), Version::Exists(v)) => current.updated_at == *v,
            _ => false,
        };
        if !holds {
            return Err(StoreError::Conflict);
        }
        rows.insert(row.project_id.to_string(), row.clone());
        Ok(())
    }
}

pub struct FakeRepositories {
    pub script: Script,
    rows: Mutex<Vec<Repository>>,
}

impl FakeRepositories {
    pub(super) fn new(script: Script) -> FakeRepositories {
        FakeRepositories { script, rows: Mutex::default() }
    }

    /// A repository onboarded on the platform (`status` as given).
    pub fn onboard(&self, repo: &str, status: &str) {
        lock(&self.rows).push(Repository { repo: repo.into(), status: Some(status.into()) });
    }
}

#[async_trait]
impl Repositories for FakeRepositories {
    async fn all(&self) -> Result<Vec<Repository>, Unavailable> {
        self.script.enter("all").map_err(|f| f.unavailable(Service::DynamoDb))?;
        Ok(lock(&self.rows).clone())
    }
}
