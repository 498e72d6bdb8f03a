//! The platform's parsing rules (UPSTREAM_CONTRACT.md), written here independently of the
//! console's own code, applied to the platform's fixture records and to what the console writes.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

pub type Item = HashMap<String, AttributeValue>;

/// How a platform Lambda reads a registry row.
#[derive(Debug, PartialEq, Eq)]
pub enum PlatformReading {
    NotRegistered,
    Revoked,
    Active { slug: String, secret_arn: String },
}

fn text(item: &Item, k: &str) -> Option<String> {
    item.get(k).and_then(|v| v.as_s().ok()).filter(|s| !s.is_empty()).cloned()
}

pub fn slug_ok(slug: &str) -> bool {
    (4..=50).contains(&slug.len()) && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn read_registry_row(item: &Item) -> PlatformReading {
    match (text(item, "workspace_slug"), text(item, "oauth_secret_arn")) {
        (Some(slug), Some(secret_arn)) => match text(item, "status").as_deref() {
            Some("active") => PlatformReading::Active { slug, secret_arn },
            _ => PlatformReading::Revoked,
        },
        _ => PlatformReading::NotRegistered,
    }
}

/// The bundle fields a Lambda requires, non-empty, before it uses the tokens.
pub const BUNDLE_REQUIRED: [&str; 11] = [
    "access_token",
    "refresh_token",
    "expires_at",
    "scope",
    "client_id",
    "client_secret",
    "workspace_id",
    "workspace_slug",
    "installed_at",
    "updated_at",
    "installed_by_platform_user_id",
];

/// `Ok` when a Lambda can use the bundle's tokens; else what it would complain about.
pub fn bundle_usable(secret: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(secret).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not an object")?;
    for k in BUNDLE_REQUIRED {
        match obj.get(k) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return Err(format!("{k} missing or empty")),
        }
    }
    for k in ["expires_at", "installed_at", "updated_at"] {
        let s = obj[k].as_str().unwrap_or_default();
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| format!("{k} is not ISO-8601: {s}"))?;
    }
    if obj["scope"].as_str().unwrap_or_default().contains(',') {
        return Err("scope must be space-separated".into());
    }
    if let Some(w) = obj.get("webhook_signing_secret") {
        if !w.as_str().is_some_and(|w| w.starts_with("lin_wh_")) {
            return Err("webhook_signing_secret must be lin_wh_…".into());
        }
    }
    if !slug_ok(obj["workspace_slug"].as_str().unwrap_or_default()) {
        return Err("workspace_slug breaks the slug rule".into());
    }
    Ok(v)
}

/// A registry row the console wrote must carry the CLI's attributes with the CLI's types.
pub fn assert_cli_shaped_row(item: &Item) {
    for k in [
        "linear_workspace_id",
        "workspace_slug",
        "oauth_secret_arn",
        "installed_by_platform_user_id",
        "installed_at",
        "updated_at",
        "status",
    ] {
        assert!(text(item, k).is_some(), "{k} missing or not a non-empty S: {item:?}");
    }
    assert!(slug_ok(&text(item, "workspace_slug").unwrap()));
    for k in ["installed_at", "updated_at"] {
        let v = text(item, k).unwrap();
        assert!(v.ends_with('Z') && time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339).is_ok(), "{k}={v}");
    }
    if let Some(keys) = item.get("team_keys") {
        let keys = keys.as_l().expect("team_keys is a list");
        assert!(keys.iter().all(|k| k.as_s().is_ok_and(|k| *k == k.to_uppercase())), "team keys upper-cased strings");
    }
}

#[test]
fn the_platforms_own_registry_rows_read_as_the_fixture_says() {
    let records = end2end::fixtures::platform_records().expect("fixture");
    let rows: HashMap<String, Item> = end2end::fixtures::section(&records, "registry").unwrap().into_iter().collect();
    assert!(matches!(read_registry_row(&rows["active_cli_install"]), PlatformReading::Active { .. }));
    assert!(matches!(read_registry_row(&rows["vault_managed"]), PlatformReading::Active { .. }));
    assert_eq!(read_registry_row(&rows["revoked_by_refresh_rejection"]), PlatformReading::Revoked);
    assert_eq!(read_registry_row(&rows["removed_with_orphaned_secret"]), PlatformReading::Revoked);
    assert_eq!(read_registry_row(&rows["unknown_status_counts_as_revoked"]), PlatformReading::Revoked);
    assert_eq!(read_registry_row(&rows["incomplete_not_registered"]), PlatformReading::NotRegistered);
    // The console reads every one of them the same way.
    for (name, item) in &rows {
        let console = server::adapters::dynamodb::registry::read(item).unwrap_or_else(|| panic!("{name} not read"));
        let expected = match read_registry_row(item) {
            PlatformReading::Active { .. } => app::wire::RegistryState::Active,
            PlatformReading::Revoked => app::wire::RegistryState::Revoked,
            PlatformReading::NotRegistered => app::wire::RegistryState::NotRegistered,
        };
        assert_eq!(console.state(), expected, "{name}");
    }
}

#[test]
fn the_platforms_own_bundles_parse_in_the_console() {
    use console_core::records::token_bundle::{StoredBundle, TokenBundle};
    use secrecy::ExposeSecret;
    let records = end2end::fixtures::platform_records().expect("fixture");
    let bundles = records["secret_bundles"].as_object().unwrap();

    let acme = bundles["bgagent-linear-oauth-acme-eng"].as_str().unwrap();
    bundle_usable(acme).expect("the CLI's bundle is usable");
    let parsed = TokenBundle::parse(acme).expect("the console reads the CLI's bundle");
    assert_eq!(parsed.workspace_slug, "acme-eng");
    assert_eq!(parsed.webhook_signing_secret.unwrap().expose_secret(), "lin_wh_0000example0000");
    // What the console would write back from it is the same record.
    let round: Value = serde_json::from_str(TokenBundle::parse(acme).unwrap().to_secret_json().expose_secret()).unwrap();
    assert_eq!(round, serde_json::from_str::<Value>(acme).unwrap());

    let vault = bundles["bgagent-linear-oauth-umbrella"].as_str().unwrap();
    assert!(bundle_usable(vault).is_err(), "a vault bundle has no tokens");
    let loose = StoredBundle::read(vault).expect("the console still shows it");
    assert!(!loose.has_tokens);
    assert_eq!(loose.app_credentials().map(|c| c.0).as_deref(), Some("0123456789abcdef0123456789abcdef"));

    let legacy = bundles["legacy_array_scope_token_response"].as_str().unwrap();
    let res: server::adapters::linear::oauth::LinearTokenResponse = serde_json::from_str(legacy).expect("array scope parses");
    let issued = server::adapters::linear::oauth::issued(&res, server::adapters::linear::oauth::SCOPES).unwrap();
    assert_eq!(issued.scope, "read write");
}

/// How the platform's webhook processor reads a user-mapping row it got with
/// `GetItem(orgId#actorId)`: only a `pending` row is refused; any other with a user is accepted.
pub fn platform_accepts(item: &Item) -> Option<String> {
    if text(item, "status").as_deref() == Some("pending") {
        return None;
    }
    text(item, "platform_user_id")
}

/// A pending invite as the platform's `POST /v1/linear/link {code}` reads it.
pub fn invite_redeemable(item: &Item, now: i64) -> Result<(String, String), String> {
    let key = text(item, "linear_identity").ok_or("no key")?;
    let code = key.strip_prefix("pending#").ok_or("not a pending key")?;
    let tail = code.strip_prefix("link-").ok_or("code lacks link-")?;
    if tail.len() != 8 || !tail.chars().all(|c| "abcdefghjkmnpqrstuvwxyz23456789".contains(c)) {
        return Err(format!("code {code} outside the alphabet"));
    }
    if text(item, "status").as_deref() != Some("pending") {
        return Err("status is not pending".into());
    }
    for k in
        ["linear_workspace_id", "linear_workspace_slug", "linear_user_id", "linear_user_name", "invited_at", "invited_by_platform_user_id"]
    {
        text(item, k).ok_or(format!("{k} missing"))?;
    }
    let ttl: i64 = item.get("ttl").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).ok_or("ttl missing")?;
    if ttl <= now {
        return Err("expired".into());
    }
    Ok((text(item, "linear_workspace_id").unwrap_or_default(), text(item, "linear_user_id").unwrap_or_default()))
}

#[test]
fn the_platforms_own_mapping_rows_read_in_the_console_as_the_platform_reads_them() {
    use console_core::records::user_mapping::MappingRow;
    use server::adapters::dynamodb::user_mappings::read;
    let records = end2end::fixtures::platform_records().expect("fixture");
    let rows: HashMap<String, Item> = end2end::fixtures::section(&records, "user_mapping").unwrap().into_iter().collect();
    for name in ["linked_by_cli", "legacy_admin_put_item"] {
        let sub = platform_accepts(&rows[name]).expect(name);
        assert!(matches!(read(&rows[name]), MappingRow::Link(l) if l.platform_user_id.as_str() == sub), "{name}");
    }
    let invite = &rows["pending_invite"];
    assert_eq!(platform_accepts(invite), None);
    // The fixture's invite expired long ago (ttl 1785492000 is in 2026-07): still readable, shown as expired.
    assert!(invite_redeemable(invite, 1_785_491_000).is_ok());
    assert_eq!(invite_redeemable(invite, 1_785_492_000), Err("expired".into()));
    match read(invite) {
        MappingRow::Invite(i) => assert!(i.expired(1_785_492_000) && !i.expired(1_785_491_000)),
        other => panic!("{other:?}"),
    }
}

/// How the platform's webhook processor reads a project-mapping row it got with
/// `GetItem(linear_project_id)` (contract §10): only `status = active` counts; `label_filter`
/// (`bgagent` when absent) is the trigger label, compared case-insensitively with the issue's
/// labels. The repository the task is for, or nothing.
pub fn processor_routes(item: Option<&Item>, issue_labels: &[&str]) -> Option<String> {
    let item = item?;
    if text(item, "status").as_deref() != Some("active") {
        return None;
    }
    let trigger = text(item, "label_filter").unwrap_or_else(|| "bgagent".into()).to_lowercase();
    if !issue_labels.iter().any(|l| l.to_lowercase() == trigger) {
        return None;
    }
    text(item, "repo")
}

/// The attributes of a mapping the CLI's `onboard-project` writes, and the one the console adds.
pub const CLI_PROJECT_ATTRIBUTES: [&str; 7] =
    ["linear_project_id", "repo", "label_filter", "team_id", "status", "onboarded_at", "updated_at"];

#[test]
fn the_platforms_own_project_rows_read_in_the_console_as_the_processor_reads_them() {
    use server::adapters::dynamodb::projects::{item, read};
    let records = end2end::fixtures::platform_records().expect("fixture");
    let rows: HashMap<String, Item> = end2end::fixtures::section(&records, "project_mapping").unwrap().into_iter().collect();
    let cli = &rows["active"];
    assert_eq!(processor_routes(Some(cli), &["Bug", "BGAGENT"]).as_deref(), Some("acme/web"));
    assert_eq!(processor_routes(Some(cli), &["Bug"]), None);
    let m = read(cli).expect("the CLI's row reads");
    assert!(m.is_active() && m.workspace_id.is_none());
    assert_eq!(m.label(), "bgagent");
    // Written back unchanged, it is the same item: nothing the CLI wrote is lost or added.
    assert_eq!(&item(&m), cli);
}
