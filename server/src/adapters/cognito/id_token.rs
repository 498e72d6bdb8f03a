//! Verifies Cognito ID tokens against the pool's published keys (JWKS):
//! signature, issuer, audience, expiry and `token_use`, then reads identity and groups.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::RwLock;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token is signed with an unknown key")]
    UnknownKey,
    #[error("token failed verification: {0}")]
    Invalid(String),
    #[error("token is not an ID token")]
    NotAnIdToken,
    #[error("could not fetch the pool's signing keys: {0}")]
    KeysUnavailable(String),
}

/// What a verified ID token says about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub sub: String,
    pub email: String,
    pub groups: Vec<String>,
}

impl VerifiedIdentity {
    pub fn is_member_of(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    token_use: String,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    kty: String,
    n: String,
    e: String,
}

pub struct IdTokenVerifier {
    issuer: String,
    audience: String,
    jwks_url: Option<String>,
    http: reqwest::Client,
    keys: RwLock<KeyCache>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// An unknown `kid` triggers a refetch at most this often (key rotation without a restart).
const MIN_REFETCH: Duration = Duration::from_secs(60);

impl IdTokenVerifier {
    pub fn new(issuer: String, audience: String, jwks_url: String, http: reqwest::Client) -> Self {
        IdTokenVerifier {
            issuer,
            audience,
            jwks_url: Some(jwks_url),
            http,
            keys: RwLock::new(KeyCache { keys: HashMap::new(), fetched_at: None }),
        }
    }

    /// A verifier with fixed keys (kid -> key), for tests.
    pub fn with_keys(issuer: String, audience: String, keys: HashMap<String, DecodingKey>) -> Self {
        IdTokenVerifier {
            issuer,
            audience,
            jwks_url: None,
            http: reqwest::Client::new(),
            keys: RwLock::new(KeyCache { keys, fetched_at: Some(Instant::now()) }),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<VerifiedIdentity, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or(TokenError::Malformed)?;
        let key = match self.key(&kid).await {
            Some(k) => k,
            None => {
                self.refetch().await?;
                self.key(&kid).await.ok_or(TokenError::UnknownKey)?
            }
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let data = decode::<Claims>(token, &key, &validation).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let claims = data.claims;
        if claims.token_use != "id" {
            return Err(TokenError::NotAnIdToken);
        }
        let email = claims.email.ok_or_else(|| TokenError::Invalid("no email claim".into()))?;
        Ok(VerifiedIdentity { sub: claims.sub, email, groups: claims.groups })
    }

    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().await.keys.get(kid).cloned()
    }

    async fn refetch(&self) -> Result<(), TokenError> {
        let Some(url) = &self.jwks_url else { return Err(TokenError::UnknownKey) };
        let mut cache = self.keys.write().await;
        if cache.fetched_at.is_some_and(|t| t.elapsed() < MIN_REFETCH) {
            return Ok(());
        }
        let jwks: Jwks = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| TokenError::KeysUnavailable(e.to_string()))?
            .json()
            .await
            .map_err(|e| TokenError::KeysUnavailable(e.to_string()))?;
        let mut keys = HashMap::new();
        for k in jwks.keys.into_iter().filter(|k| k.kty == "RSA") {
            if let Ok(key) = DecodingKey::from_rsa_components(&k.n, &k.e) {
                keys.insert(k.kid, key);
            }
        }
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use serde_json::json;
    use std::sync::OnceLock;

    const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test";
    const AUD: &str = "client-123";

    struct Keys {
        signing: EncodingKey,
        verifying: DecodingKey,
        other_signing: EncodingKey,
    }

    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rsa::rand_core::OsRng;
            let a = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
            let b = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
            let der = |k: &rsa::RsaPrivateKey| EncodingKey::from_rsa_der(k.to_pkcs1_der().unwrap().as_bytes());
            // The verifier gets the key the way a JWKS publishes it: base64url n and e.
            let b64 = |v: rsa::BigUint| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_bytes_be());
            let public = a.to_public_key();
            Keys {
                signing: der(&a),
                verifying: DecodingKey::from_rsa_components(&b64(public.n().clone()), &b64(public.e().clone())).unwrap(),
                other_signing: der(&b),
            }
        })
    }

    fn verifier() -> IdTokenVerifier {
        IdTokenVerifier::with_keys(ISS.into(), AUD.into(), HashMap::from([("k1".to_string(), keys().verifying.clone())]))
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    fn claims() -> serde_json::Value {
        json!({
            "sub": "sub-1", "email": "admin@example.com", "token_use": "id",
            "iss": ISS, "aud": AUD, "exp": now() + 3600, "iat": now(),
            "cognito:groups": ["linear-console-admins"],
        })
    }

    fn sign(claims: &serde_json::Value, key: &EncodingKey) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        encode(&header, claims, key).unwrap()
    }

    async fn check(claims: serde_json::Value) -> Result<VerifiedIdentity, TokenError> {
        verifier().verify(&sign(&claims, &keys().signing)).await
    }

    #[tokio::test]
    async fn a_valid_token_yields_identity_and_groups() {
        let id = check(claims()).await.unwrap();
        assert_eq!(id.sub, "sub-1");
        assert_eq!(id.email, "admin@example.com");
        assert!(id.is_member_of("linear-console-admins"));
        assert!(!id.is_member_of("admins"));
    }

    #[tokio::test]
    async fn expired_tokens_are_refused() {
        let mut c = claims();
        c["exp"] = json!(now() - 120);
        assert!(matches!(check(c).await, Err(TokenError::Invalid(_))));
    }

    #[tokio::test]
    async fn wrong_audience_is_refused() {
        let mut c = claims();
        c["aud"] = json!("another-client");
        assert!(matches!(check(c).await, Err(TokenError::Invalid(_))));
    }

    #[tokio::test]
    async fn wrong_issuer_is_refused() {
        let mut c = claims();
        c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other");
        assert!(matches!(check(c).await, Err(TokenError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_signature_by_another_key_is_refused() {
        let token = sign(&claims(), &keys().other_signing);
        assert!(matches!(verifier().verify(&token).await, Err(TokenError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_tampered_payload_is_refused() {
        let token = sign(&claims(), &keys().signing);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut c = claims();
        c["cognito:groups"] = json!(["linear-console-admins", "root"]);
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
        assert!(matches!(verifier().verify(&parts.join(".")).await, Err(TokenError::Invalid(_))));
    }

    #[tokio::test]
    async fn missing_group_is_visible_as_non_membership() {
        let mut c = claims();
        c.as_object_mut().unwrap().remove("cognito:groups");
        let id = check(c).await.unwrap();
        assert!(!id.is_member_of("linear-console-admins"));
    }

    #[tokio::test]
    async fn access_tokens_are_not_id_tokens() {
        let mut c = claims();
        c["token_use"] = json!("access");
        assert_eq!(check(c).await, Err(TokenError::NotAnIdToken));
    }

    #[tokio::test]
    async fn unknown_key_ids_and_garbage_are_refused() {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("other".into());
        let token = encode(&header, &claims(), &keys().signing).unwrap();
        assert_eq!(verifier().verify(&token).await, Err(TokenError::UnknownKey));
        assert_eq!(verifier().verify("not.a.jwt").await, Err(TokenError::Malformed));
    }
}
