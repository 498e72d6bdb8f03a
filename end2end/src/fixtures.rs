//! The platform's own records (`../shared/contract/platform-records.json`), loaded as
//! DynamoDB items: the seed of the local registry and the input of the contract tests.
use std::collections::HashMap;
use std::path::PathBuf;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

pub type Item = HashMap<String, AttributeValue>;

/// Where the contract fixture lives: `PLATFORM_RECORDS`, else `shared/` beside the repository.
pub fn platform_records_path() -> PathBuf {
    std::env::var("PLATFORM_RECORDS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::manifest_dir().join("../../shared/contract/platform-records.json"))
}

pub fn platform_records() -> Result<Value, String> {
    let path = platform_records_path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The items of one section (`registry`, `user_mapping`, `project_mapping`), by fixture name.
pub fn section(records: &Value, name: &str) -> Result<Vec<(String, Item)>, String> {
    let map = records.get(name).and_then(Value::as_object).ok_or_else(|| format!("no section {name}"))?;
    map.iter().map(|(k, v)| Ok((k.clone(), item(v)?))).collect()
}

/// DynamoDB JSON (`{"S": "..."}`, `{"N": "1"}`, `{"L": [...]}`, ...) to an item.
pub fn item(v: &Value) -> Result<Item, String> {
    let obj = v.as_object().ok_or("an item must be an object")?;
    obj.iter().map(|(k, v)| Ok((k.clone(), attribute(v)?))).collect()
}

fn attribute(v: &Value) -> Result<AttributeValue, String> {
    let obj = v.as_object().filter(|o| o.len() == 1).ok_or_else(|| format!("not a DynamoDB value: {v}"))?;
    let (kind, inner) = obj.iter().next().ok_or("empty value")?;
    let text = || inner.as_str().map(str::to_owned).ok_or_else(|| format!("{kind} needs a string"));
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?),
        "N" => AttributeValue::N(text()?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or("BOOL needs a boolean")?),
        "NULL" => AttributeValue::Null(true),
        "L" => AttributeValue::L(inner.as_array().ok_or("L needs a list")?.iter().map(attribute).collect::<Result<_, _>>()?),
        "M" => AttributeValue::M(item(inner)?),
        "SS" => {
            AttributeValue::Ss(inner.as_array().ok_or("SS needs a list")?.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        }
        other => return Err(format!("unsupported DynamoDB type {other}")),
    })
}

/// Puts the platform's registry records into `table` (the demo's and the tests' registry).
pub async fn seed_registry(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Result<usize, String> {
    let records = platform_records()?;
    let items = section(&records, "registry")?;
    for (_, item) in &items {
        ddb.put_item().table_name(table).set_item(Some(item.clone())).send().await.map_err(|e| format!("{e:?}"))?;
    }
    Ok(items.len())
}

/// Where [`seed_live_workspaces`] writes, and the times its records carry.
pub struct LiveWorkspaces<'a> {
    pub dynamodb: &'a aws_sdk_dynamodb::Client,
    pub secrets: &'a aws_sdk_secretsmanager::Client,
    pub registry_table: &'a str,
    /// Slugs are `<prefix>-<n>` (`n` zero-padded to 4 digits).
    pub slug_prefix: &'a str,
    /// ISO-8601 UTC: when they were installed, and when their access tokens expire.
    pub now: &'a str,
    pub expires_at: &'a str,
}

/// One registered workspace per token pair, its bundle holding the pair (as an install through
/// the Linear stand-in leaves it), written 16 at a time: the many workspaces of the sweep's test
/// and the registry's benchmark. Answers the org ids, in the order of `tokens`.
pub async fn seed_live_workspaces(to: &LiveWorkspaces<'_>, tokens: Vec<(String, String)>) -> Result<Vec<String>, String> {
    use futures::StreamExt;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let one = |(i, (access, refresh)): (usize, (String, String))| async move {
        let org = format!("{i:08x}-0000-4000-8000-{i:012x}");
        let slug = format!("{}-{i:04}", to.slug_prefix);
        let bundle = serde_json::json!({
            "access_token": access, "refresh_token": refresh, "expires_at": to.expires_at, "scope": "read write",
            "client_id": "local-linear-client", "client_secret": "local-linear-secret", "workspace_id": org,
            "workspace_slug": slug, "installed_at": to.now, "updated_at": to.now, "installed_by_platform_user_id": "sub",
        });
        let secret = to
            .secrets
            .create_secret()
            .name(format!("bgagent-linear-oauth-{slug}"))
            .secret_string(bundle.to_string())
            .send()
            .await
            .map_err(|e| format!("create the bundle of {slug}: {e:?}"))?;
        to.dynamodb
            .put_item()
            .table_name(to.registry_table)
            .item("linear_workspace_id", s(&org))
            .item("workspace_slug", s(&slug))
            .item("workspace_name", s(&format!("Workspace {i}")))
            .item("oauth_secret_arn", s(secret.arn().unwrap_or_default()))
            .item("installed_by_platform_user_id", s("sub"))
            .item("installed_at", s(to.now))
            .item("updated_at", s(to.now))
            .item("status", s("active"))
            .item("team_keys", AttributeValue::L(vec![s("ENG")]))
            .send()
            .await
            .map_err(|e| format!("register {slug}: {e:?}"))?;
        Ok::<String, String>(org)
    };
    let done: Vec<Result<String, String>> = futures::stream::iter(tokens.into_iter().enumerate()).map(one).buffered(16).collect().await;
    done.into_iter().collect()
}
