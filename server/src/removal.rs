//! *Revoke* and *Remove* a workspace, step by step, each step's outcome reported and audited:
//! revoke at Linear, mark the row revoked, delete the bundle, delete its user links and invites,
//! and (Remove) delete the row. A rerun after a partial failure finishes the job; a step already
//! done is reported as such and not done twice.
use aws_sdk_dynamodb::types::AttributeValue;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::linear::oauth::{LinearOAuth, Revocation};
use crate::platform::iso_millis;
use crate::platform::registry_row::{s, Item};
use crate::platform::token_bundle::StoredBundle;
use crate::registry::Registry;
use crate::token_store::TokenStore;
use crate::user_mappings::{identities, UserMappings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    RevokeAtLinear,
    MarkRevoked,
    DeleteSecret,
    DeleteLinks,
    DeleteRow,
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::RevokeAtLinear => "revoke",
            Step::MarkRevoked => "mark",
            Step::DeleteSecret => "secret",
            Step::DeleteLinks => "links",
            Step::DeleteRow => "row",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Done,
    AlreadyDone,
    /// Not asked for (links kept, or Revoke rather than Remove).
    Skipped,
    Failed(String),
    /// An earlier step failed; this one waits for a rerun.
    NotRun,
}

impl StepOutcome {
    pub fn code(&self) -> &'static str {
        match self {
            StepOutcome::Done => "done",
            StepOutcome::AlreadyDone => "already",
            StepOutcome::Skipped => "skipped",
            StepOutcome::Failed(_) => "failed",
            StepOutcome::NotRun => "notrun",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub steps: Vec<(Step, StepOutcome)>,
    pub links_deleted: usize,
}

impl Report {
    /// `revoke.done,mark.done,secret.failed,…` for the page URL.
    pub fn query(&self) -> String {
        self.steps.iter().map(|(s, o)| format!("{}.{}", s.code(), o.code())).collect::<Vec<_>>().join(",")
    }

    pub fn complete(&self) -> bool {
        !self.steps.iter().any(|(_, o)| matches!(o, StepOutcome::Failed(_) | StepOutcome::NotRun))
    }

    pub fn detail(&self) -> String {
        let parts: Vec<String> = self
            .steps
            .iter()
            .map(|(s, o)| match o {
                StepOutcome::Failed(e) => format!("{}: failed ({e})", s.code()),
                StepOutcome::Done if *s == Step::DeleteLinks => format!("links: {} deleted", self.links_deleted),
                o => format!("{}: {}", s.code(), o.code()),
            })
            .collect();
        parts.join("; ")
    }
}

/// What *Retry deletion* of an orphaned secret did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrphanRetry {
    Deleted(String),
    NothingToDo,
    /// The recorded secret is the active row's bundle: not deleted.
    InUse,
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error("the workspace is not in the registry")]
    NotFound,
    #[error("DynamoDB: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub struct Removal {
    registry: Registry,
    dynamodb: aws_sdk_dynamodb::Client,
    registry_table: String,
    mappings: UserMappings,
    tokens: TokenStore,
    oauth: LinearOAuth,
}

fn ddb<E: std::error::Error + 'static, R: std::fmt::Debug>(e: aws_sdk_dynamodb::error::SdkError<E, R>) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()
}

impl Removal {
    pub fn new(
        registry: Registry,
        dynamodb: aws_sdk_dynamodb::Client,
        registry_table: String,
        mappings: UserMappings,
        tokens: TokenStore,
        oauth: LinearOAuth,
    ) -> Removal {
        Removal { registry, dynamodb, registry_table, mappings, tokens, oauth }
    }

    /// Runs the steps in order; the first failure stops the ones after it (but link deletion,
    /// which is independent of the secret, still runs after a failed secret deletion).
    pub async fn run(&self, org_id: &str, admin_sub: &str, delete_links: bool, remove_row: bool) -> Result<Report, RemovalError> {
        let row = self.registry.get(org_id).await.map_err(|e| RemovalError::Unavailable(e.to_string()))?;
        let row = row.ok_or(RemovalError::NotFound)?;
        let arn = s(&row, "oauth_secret_arn");
        let mut steps = Vec::new();
        let mut stopped = false;

        // 1. Revoke at Linear, while the tokens still exist.
        let revoke = match &arn {
            None => StepOutcome::AlreadyDone,
            Some(arn) => self.revoke_at_linear(arn).await,
        };
        stopped |= matches!(revoke, StepOutcome::Failed(_));
        steps.push((Step::RevokeAtLinear, revoke));

        // 2. Mark the row revoked (once: a rerun keeps the first revocation's time).
        let mark = if stopped { StepOutcome::NotRun } else { self.mark_revoked(org_id, &row, admin_sub).await };
        stopped |= matches!(mark, StepOutcome::Failed(_));
        steps.push((Step::MarkRevoked, mark));

        // 3. Delete the bundle without recovery; a failure is recorded on the row.
        let secret = match (&arn, stopped) {
            (_, true) => StepOutcome::NotRun,
            (None, false) => StepOutcome::AlreadyDone,
            (Some(arn), false) => self.delete_secret(org_id, arn, &row).await,
        };
        let secret_failed = matches!(secret, StepOutcome::Failed(_));
        steps.push((Step::DeleteSecret, secret));

        // 4. The workspace's user links and invites: the platform would keep honouring them.
        let mut links_deleted = 0;
        let links = match (stopped, delete_links) {
            (true, _) => StepOutcome::NotRun,
            (false, false) => StepOutcome::Skipped,
            (false, true) => match self.delete_links(org_id).await {
                Ok(0) => StepOutcome::AlreadyDone,
                Ok(n) => {
                    links_deleted = n;
                    StepOutcome::Done
                }
                Err(e) => StepOutcome::Failed(e),
            },
        };
        stopped |= matches!(links, StepOutcome::Failed(_));
        steps.push((Step::DeleteLinks, links));

        // 5. Remove: the row goes last, and not while it is the only record of an orphaned secret.
        let delete_row = match (remove_row, stopped || secret_failed) {
            (false, _) => StepOutcome::Skipped,
            (true, true) => StepOutcome::NotRun,
            (true, false) => match self
                .dynamodb
                .delete_item()
                .table_name(&self.registry_table)
                .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
                .condition_expression("#s = :revoked")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":revoked", AttributeValue::S("revoked".into()))
                .send()
                .await
            {
                Ok(_) => StepOutcome::Done,
                Err(e) => StepOutcome::Failed(ddb(e)),
            },
        };
        steps.push((Step::DeleteRow, delete_row));
        Ok(Report { steps, links_deleted })
    }

    async fn revoke_at_linear(&self, arn: &str) -> StepOutcome {
        let secret = match self.tokens.read(arn).await {
            Ok(Some(s)) => s,
            Ok(None) => return StepOutcome::AlreadyDone,
            Err(e) => return StepOutcome::Failed(e.to_string()),
        };
        let tokens = serde_json::from_str::<serde_json::Value>(secret.value.expose_secret()).ok();
        let get = |k: &str| {
            tokens.as_ref().and_then(|t| t.get(k)).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(|v| SecretString::from(v.to_owned()))
        };
        let mut revoked_any = false;
        let mut had_any = false;
        for field in ["refresh_token", "access_token"] {
            let Some(token) = get(field) else { continue };
            had_any = true;
            match self.oauth.revoke(field, &token).await {
                Ok(Revocation::Revoked) => revoked_any = true,
                Ok(Revocation::AlreadyDead) => {}
                Err(e) => return StepOutcome::Failed(e.to_string()),
            }
        }
        if revoked_any {
            StepOutcome::Done
        } else if had_any {
            StepOutcome::AlreadyDone
        } else {
            // A vault-managed bundle: no tokens here to revoke.
            StepOutcome::Skipped
        }
    }

    async fn mark_revoked(&self, org_id: &str, row: &Item, admin_sub: &str) -> StepOutcome {
        if s(row, "status").as_deref() == Some("revoked") && s(row, "revoked_reason").as_deref() == Some("admin_removed") {
            return StepOutcome::AlreadyDone;
        }
        let now = iso_millis(OffsetDateTime::now_utc());
        let res = self
            .dynamodb
            .update_item()
            .table_name(&self.registry_table)
            .key("linear_workspace_id", AttributeValue::S(org_id.to_owned()))
            .update_expression("SET #s = :revoked, revoked_reason = :why, revoked_by_platform_user_id = :by, revoked_at = :now, updated_at = :now")
            .condition_expression("attribute_exists(linear_workspace_id)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":revoked", AttributeValue::S("revoked".into()))
            .expression_attribute_values(":why", AttributeValue::S("admin_removed".into()))
            .expression_attribute_values(":by", AttributeValue::S(admin_sub.to_owned()))
            .expression_attribute_values(":now", AttributeValue::S(now))
            .send()
            .await;
        match res {
            Ok(_) => StepOutcome::Done,
            Err(e) => StepOutcome::Failed(ddb(e)),
        }
    }

    async fn delete_secret(&self, org_id: &str, arn: &str, row: &Item) -> StepOutcome {
        // Never delete what is not this workspace's bundle.
        let owner = match self.tokens.read(arn).await {
            Ok(Some(secret)) => StoredBundle::read(secret.value.expose_secret()).ok().and_then(|b| b.workspace_id),
            Ok(None) => return self.clear_orphan(org_id, arn, row).await.unwrap_or(StepOutcome::AlreadyDone),
            Err(e) => return self.record_orphan(org_id, arn, e.to_string()).await,
        };
        if owner.as_deref().is_some_and(|o| o != org_id) {
            return StepOutcome::Failed(format!("{arn} holds another workspace's tokens; left in place"));
        }
        match self.tokens.delete_now(arn).await {
            Ok(()) => self.clear_orphan(org_id, arn, row).await.unwrap_or(StepOutcome::Done),
            Err(e) => self.record_orphan(org_id, arn, e.to_string()).await,
        }
    }

    /// Records the failed deletion as the platform does, so the secret is not forgotten.
    async fn record_orphan(&self, org_id: &str, arn: &str, error: String) -> StepOutcome {
        if let Err(e) = self.registry.mark_orphaned(org_id, arn, &error).await {
            tracing::error!(secret = arn, error = %e, "secret deletion failed and could not be recorded");
        }
        StepOutcome::Failed(error)
    }

    /// After a successful (re)deletion of `arn`, its orphan markers go; `None` if the row
    /// recorded no orphan, or one for another secret (that one stays recorded).
    async fn clear_orphan(&self, org_id: &str, arn: &str, row: &Item) -> Option<StepOutcome> {
        (s(row, "orphaned_oauth_secret_arn")? == arn).then_some(())?;
        Some(match self.registry.clear_orphan(org_id, arn).await {
            Ok(_) => StepOutcome::Done,
            Err(e) => StepOutcome::Failed(e.to_string()),
        })
    }

    /// The orphaned-secret warning's *Retry deletion*: deletes the secret recorded in
    /// `orphaned_oauth_secret_arn` and then clears the markers, only while they still name it.
    /// Refused while that secret is the bundle an active row uses (it is not an orphan then).
    pub async fn retry_orphan(&self, org_id: &str) -> Result<OrphanRetry, RemovalError> {
        let row = self.registry.get(org_id).await.map_err(|e| RemovalError::Unavailable(e.to_string()))?;
        let row = row.ok_or(RemovalError::NotFound)?;
        let Some(arn) = s(&row, "orphaned_oauth_secret_arn") else { return Ok(OrphanRetry::NothingToDo) };
        let in_use = s(&row, "oauth_secret_arn").as_deref() == Some(arn.as_str()) && s(&row, "status").as_deref() == Some("active");
        if in_use {
            return Ok(OrphanRetry::InUse);
        }
        let owner = match self.tokens.read(&arn).await {
            Ok(Some(secret)) => StoredBundle::read(secret.value.expose_secret()).ok().and_then(|b| b.workspace_id),
            Ok(None) => None,
            Err(e) => return self.orphan_still(org_id, &arn, e.to_string()).await,
        };
        if owner.as_deref().is_some_and(|o| o != org_id) {
            return Ok(OrphanRetry::Failed(format!("{arn} holds another workspace's tokens; left in place")));
        }
        if let Err(e) = self.tokens.delete_now(&arn).await {
            return self.orphan_still(org_id, &arn, e.to_string()).await;
        }
        // Cleared only while the markers still name it: another orphan recorded meanwhile stays.
        self.registry.clear_orphan(org_id, &arn).await.map_err(|e| RemovalError::Unavailable(e.to_string()))?;
        Ok(OrphanRetry::Deleted(arn))
    }

    async fn orphan_still(&self, org_id: &str, arn: &str, error: String) -> Result<OrphanRetry, RemovalError> {
        if let Err(e) = self.registry.mark_orphaned(org_id, arn, &error).await {
            tracing::error!(secret = arn, error = %e, "secret deletion failed again and could not be recorded");
        }
        Ok(OrphanRetry::Failed(error))
    }

    /// Deletes the link rows (`<org>#<user>`, also legacy rows without `linear_workspace_id`) and
    /// pending invites of the workspace.
    async fn delete_links(&self, org_id: &str) -> Result<usize, String> {
        let rows = self.mappings.workspace_rows(org_id).await.map_err(|e| e.to_string())?;
        self.mappings.delete_all(&identities(&rows)).await.map_err(|e| e.to_string())
    }
}
