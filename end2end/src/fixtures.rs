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
