//! The per-workspace token bundle the platform keeps in Secrets Manager (contract §4):
//! its exact JSON, the platform's rule for a bundle that can be used for tokens, and a
//! loose reading for bundles written by others (vault-managed ones have no tokens).
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};

/// A bundle the console writes. Secrets stay in `SecretString` until the JSON is built.
#[derive(Debug, Clone)]
pub struct TokenBundle {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub expires_at: String,
    pub scope: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub workspace_id: String,
    pub workspace_slug: String,
    pub installed_at: String,
    pub updated_at: String,
    pub installed_by_platform_user_id: String,
    pub webhook_signing_secret: Option<SecretString>,
}

/// The wire form, field for field as the platform's CLI writes it.
#[derive(Serialize)]
struct BundleJson<'a> {
    access_token: &'a str,
    refresh_token: &'a str,
    expires_at: &'a str,
    scope: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    workspace_id: &'a str,
    workspace_slug: &'a str,
    installed_at: &'a str,
    updated_at: &'a str,
    installed_by_platform_user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_signing_secret: Option<&'a str>,
}

/// The fields the platform requires, non-empty, before it uses a bundle's tokens.
pub const REQUIRED_FOR_TOKEN_USE: [&str; 11] = [
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the secret is not a JSON object")]
    NotAnObject,
    #[error("the bundle lacks {0} (or it is empty)")]
    Missing(&'static str),
}

impl TokenBundle {
    /// The SecretString to store. Built only here, only for Secrets Manager.
    pub fn to_secret_json(&self) -> SecretString {
        let json = BundleJson {
            access_token: self.access_token.expose_secret(),
            refresh_token: self.refresh_token.expose_secret(),
            expires_at: &self.expires_at,
            scope: &self.scope,
            client_id: &self.client_id,
            client_secret: self.client_secret.expose_secret(),
            workspace_id: &self.workspace_id,
            workspace_slug: &self.workspace_slug,
            installed_at: &self.installed_at,
            updated_at: &self.updated_at,
            installed_by_platform_user_id: &self.installed_by_platform_user_id,
            webhook_signing_secret: self.webhook_signing_secret.as_ref().map(|s| s.expose_secret()),
        };
        SecretString::from(serde_json::to_string(&json).unwrap_or_default())
    }

    /// The secret's new value over its `current` one: every field the console writes is replaced
    /// and every other field kept, as the platform's refresher keeps what it does not touch
    /// (`...current`). A `current` that is not a JSON object is replaced whole.
    pub fn over(&self, current: Option<&SecretString>) -> SecretString {
        let mut obj = current.and_then(|c| object(c.expose_secret()).ok()).unwrap_or_default();
        if let Ok(Value::Object(mine)) = serde_json::from_str::<Value>(self.to_secret_json().expose_secret()) {
            obj.extend(mine);
        }
        SecretString::from(Value::Object(obj).to_string())
    }

    /// The platform's reading for token use: every required field present and non-empty.
    pub fn parse(secret: &str) -> Result<TokenBundle, BundleError> {
        let obj = object(secret)?;
        let req = |k: &'static str| text(&obj, k).ok_or(BundleError::Missing(k));
        Ok(TokenBundle {
            access_token: req("access_token")?.into(),
            refresh_token: req("refresh_token")?.into(),
            expires_at: req("expires_at")?,
            scope: req("scope")?,
            client_id: req("client_id")?,
            client_secret: req("client_secret")?.into(),
            workspace_id: req("workspace_id")?,
            workspace_slug: req("workspace_slug")?,
            installed_at: req("installed_at")?,
            updated_at: req("updated_at")?,
            installed_by_platform_user_id: req("installed_by_platform_user_id")?,
            webhook_signing_secret: text(&obj, "webhook_signing_secret").map(SecretString::from),
        })
    }
}

/// Any bundle, read loosely: what can be shown or reused without requiring tokens.
#[derive(Debug, Clone, Default)]
pub struct StoredBundle {
    pub workspace_id: Option<String>,
    pub workspace_slug: Option<String>,
    pub scope: Option<String>,
    pub expires_at: Option<String>,
    pub updated_at: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub webhook_signing_secret: Option<SecretString>,
    /// Both tokens present: the bundle is not vault-managed.
    pub has_tokens: bool,
}

impl StoredBundle {
    pub fn read(secret: &str) -> Result<StoredBundle, BundleError> {
        let obj = object(secret)?;
        let t = |k: &str| text(&obj, k);
        Ok(StoredBundle {
            workspace_id: t("workspace_id"),
            workspace_slug: t("workspace_slug"),
            scope: t("scope"),
            expires_at: t("expires_at"),
            updated_at: t("updated_at"),
            client_id: t("client_id"),
            client_secret: t("client_secret").map(SecretString::from),
            webhook_signing_secret: t("webhook_signing_secret").and_then(|s| WebhookSecret::parse(&s).ok()).map(|w| w.0),
            has_tokens: t("access_token").is_some() && t("refresh_token").is_some(),
        })
    }

    /// The tokens a bundle holds, whatever else it lacks (for revocation only: never shown, never logged).
    pub fn tokens(secret: &SecretString) -> Tokens {
        let obj = object(secret.expose_secret()).unwrap_or_default();
        Tokens { access: text(&obj, "access_token").map(SecretString::from), refresh: text(&obj, "refresh_token").map(SecretString::from) }
    }

    /// The Linear OAuth app credentials this bundle carries, if both are there.
    pub fn app_credentials(&self) -> Option<(String, SecretString)> {
        Some((self.client_id.clone()?, self.client_secret.clone()?))
    }
}

/// A bundle's tokens, each when present.
pub struct Tokens {
    pub access: Option<SecretString>,
    pub refresh: Option<SecretString>,
}

fn object(secret: &str) -> Result<Map<String, Value>, BundleError> {
    match serde_json::from_str::<Value>(secret) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(BundleError::NotAnObject),
    }
}

fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A workspace's webhook signing secret (`lin_wh_…`), validated; it is never shown again.
#[derive(Debug, Clone)]
pub struct WebhookSecret(pub SecretString);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Linear webhook signing secret starts with lin_wh_ and has no spaces")]
pub struct InvalidWebhookSecret;

impl WebhookSecret {
    /// The bundle `current` with this secret as its `webhook_signing_secret`, every other field
    /// as it was (a vault bundle without tokens too).
    pub fn into_bundle(self, current: &SecretString) -> Result<SecretString, BundleError> {
        let mut obj = object(current.expose_secret())?;
        obj.insert("webhook_signing_secret".into(), Value::String(self.0.expose_secret().to_owned()));
        Ok(SecretString::from(Value::Object(obj).to_string()))
    }

    pub fn parse(raw: &str) -> Result<WebhookSecret, InvalidWebhookSecret> {
        let raw = raw.trim();
        let ok = raw.starts_with("lin_wh_") && (raw.len() >= 16 && raw.len() <= 256) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(WebhookSecret(SecretString::from(raw.to_owned())))
        } else {
            Err(InvalidWebhookSecret)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> TokenBundle {
        TokenBundle {
            access_token: "lin_oauth_a".into(),
            refresh_token: "lin_refresh_r".into(),
            expires_at: "2026-07-31T09:14:01.000Z".into(),
            scope: "read write app:assignable app:mentionable".into(),
            client_id: "cid".into(),
            client_secret: "csecret".into(),
            workspace_id: "org".into(),
            workspace_slug: "acme-eng".into(),
            installed_at: "2026-07-30T09:14:02.511Z".into(),
            updated_at: "2026-07-30T09:14:02.511Z".into(),
            installed_by_platform_user_id: "sub".into(),
            webhook_signing_secret: None,
        }
    }

    #[test]
    fn the_json_has_exactly_the_contracts_fields() {
        let json: Value = serde_json::from_str(bundle().to_secret_json().expose_secret()).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = REQUIRED_FOR_TOKEN_USE.to_vec();
        expected.sort();
        assert_eq!(keys, expected, "no webhook secret, no extra field");
        assert!(json.as_object().unwrap().values().all(Value::is_string));

        let mut with_wh = bundle();
        with_wh.webhook_signing_secret = Some("lin_wh_0123456789abcdef".into());
        let json: Value = serde_json::from_str(with_wh.to_secret_json().expose_secret()).unwrap();
        assert_eq!(json["webhook_signing_secret"], "lin_wh_0123456789abcdef");
    }

    #[test]
    fn what_is_written_parses_back_under_the_platforms_rule() {
        let b = TokenBundle::parse(bundle().to_secret_json().expose_secret()).unwrap();
        assert_eq!(b.refresh_token.expose_secret(), "lin_refresh_r");
        assert_eq!(b.workspace_slug, "acme-eng");
    }

    #[test]
    fn each_missing_or_empty_required_field_is_named() {
        for field in REQUIRED_FOR_TOKEN_USE {
            let mut json: Value = serde_json::from_str(bundle().to_secret_json().expose_secret()).unwrap();
            json[field] = Value::String(String::new());
            assert_eq!(TokenBundle::parse(&json.to_string()).unwrap_err(), BundleError::Missing(field));
            json.as_object_mut().unwrap().remove(field);
            assert_eq!(TokenBundle::parse(&json.to_string()).unwrap_err(), BundleError::Missing(field));
        }
        assert_eq!(TokenBundle::parse("[]").unwrap_err(), BundleError::NotAnObject);
        assert_eq!(TokenBundle::parse("not json").unwrap_err(), BundleError::NotAnObject);
    }

    #[test]
    fn fields_the_console_does_not_know_survive_a_rewrite() {
        let current = SecretString::from(r#"{"access_token":"old","refresh_token":"old-r","team_hint":"x","nested":{"a":1}}"#.to_owned());
        let json: Value = serde_json::from_str(bundle().over(Some(&current)).expose_secret()).unwrap();
        assert_eq!(json["access_token"], "lin_oauth_a", "the console's fields are replaced");
        assert_eq!(json["team_hint"], "x");
        assert_eq!(json["nested"]["a"], 1);
        let fresh: Value = serde_json::from_str(bundle().over(None).expose_secret()).unwrap();
        assert_eq!(fresh.as_object().unwrap().len(), REQUIRED_FOR_TOKEN_USE.len());
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let mut b = bundle();
        b.webhook_signing_secret = Some("lin_wh_0123456789abcdef".into());
        let dbg = format!("{b:?}");
        for secret in ["lin_oauth_a", "lin_refresh_r", "csecret", "lin_wh_0123456789abcdef"] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
    }

    #[test]
    fn a_webhook_secret_goes_into_any_bundle_and_changes_nothing_else() {
        let vault = SecretString::from(r#"{"workspace_id":"org","access_token":"","hint":7}"#.to_owned());
        let secret = WebhookSecret::parse("lin_wh_0123456789abcdef").unwrap();
        let json: Value = serde_json::from_str(secret.into_bundle(&vault).unwrap().expose_secret()).unwrap();
        assert_eq!(json["webhook_signing_secret"], "lin_wh_0123456789abcdef");
        assert_eq!((json["workspace_id"].as_str(), json["hint"].as_i64()), (Some("org"), Some(7)));
        let not_json = SecretString::from("plain".to_owned());
        assert!(WebhookSecret::parse("lin_wh_0123456789abcdef").unwrap().into_bundle(&not_json).is_err());
    }

    #[test]
    fn webhook_secrets_are_validated() {
        assert!(WebhookSecret::parse(" lin_wh_0123456789abcdef ").is_ok());
        for bad in ["", "lin_wh_", "whsec_0123456789abcdef", "lin_wh_0123 456789abcdef", "lin_wh_short"] {
            assert!(WebhookSecret::parse(bad).is_err(), "{bad}");
        }
    }
}
