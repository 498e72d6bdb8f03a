//! The sessions table's data sealed: AES-256-GCM under a key the table's readers do not hold. A
//! session's data can carry a Cognito access token and an authenticator secret for a few minutes
//! (an enrolment under way, an admin's second-factor sign-in) and a challenge's Cognito session;
//! whoever reads the table (a backup, a support query, an over-broad role) sees none of it. The key
//! is the SHA-256 of a Secrets Manager secret's value (`CONSOLE_SESSION_KEY_SECRET_ARN`, made by the
//! deployment and by the local bootstrap), read once, when the first session is stored or loaded.
//! The table key of the session is the additional data, so a sealed blob is worthless under another.
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::ExposeSecret;

use console_core::error::{Service, Unavailable};

/// Where the key comes from.
enum Source {
    Secret { client: aws_sdk_secretsmanager::Client, id: String },
    Fixed([u8; 32]),
}

pub struct SessionSeal {
    source: Source,
    key: tokio::sync::OnceCell<LessSafeKey>,
    random: SystemRandom,
}

impl std::fmt::Debug for SessionSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSeal").finish_non_exhaustive()
    }
}

/// The key of a secret's value: its SHA-256 (any string the deployment generated will do).
fn key_of(value: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(value).into()
}

fn unavailable(why: impl Into<String>) -> Unavailable {
    Unavailable::new(Service::SecretsManager, why.into())
}

impl SessionSeal {
    /// The key from the secret `id` (an ARN or a name), read when first needed.
    pub fn from_secret(client: aws_sdk_secretsmanager::Client, id: impl Into<String>) -> SessionSeal {
        SessionSeal { source: Source::Secret { client, id: id.into() }, key: tokio::sync::OnceCell::new(), random: SystemRandom::new() }
    }

    /// A key given as it is (tests).
    pub fn from_value(value: &str) -> SessionSeal {
        SessionSeal { source: Source::Fixed(key_of(value.as_bytes())), key: tokio::sync::OnceCell::new(), random: SystemRandom::new() }
    }

    async fn key(&self) -> Result<&LessSafeKey, Unavailable> {
        self.key
            .get_or_try_init(|| async {
                let bytes = match &self.source {
                    Source::Fixed(k) => *k,
                    Source::Secret { client, id } => {
                        let out = client.get_secret_value().secret_id(id).send().await.map_err(|e| {
                            Unavailable::new(Service::SecretsManager, aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
                        })?;
                        let value = secrecy::SecretString::from(out.secret_string.unwrap_or_default());
                        if value.expose_secret().len() < 16 {
                            return Err(unavailable("the session key secret holds fewer than 16 characters"));
                        }
                        key_of(value.expose_secret().as_bytes())
                    }
                };
                let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| unavailable("the session key is unusable"))?;
                Ok(LessSafeKey::new(unbound))
            })
            .await
    }

    /// `plain` sealed for the table key `aad`: a fresh random nonce, then the ciphertext and its tag.
    pub async fn seal(&self, aad: &str, plain: &[u8]) -> Result<Vec<u8>, Unavailable> {
        let key = self.key().await?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| unavailable("no randomness for a nonce"))?;
        let mut sealed = plain.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad.as_bytes()), &mut sealed)
            .map_err(|_| unavailable("could not seal the session"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// What `seal` sealed for `aad`; `None` when it was not (another key, another session, altered).
    pub async fn open(&self, aad: &str, sealed: &[u8]) -> Result<Option<Vec<u8>>, Unavailable> {
        let key = self.key().await?;
        if sealed.len() < NONCE_LEN {
            return Ok(None);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let Ok(nonce) = Nonce::try_assume_unique_for_key(nonce) else { return Ok(None) };
        let mut body = body.to_vec();
        Ok(key.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body).ok().map(|plain| plain.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_is_sealed_opens_only_with_its_key_and_under_its_own_session() {
        let seal = SessionSeal::from_value("a key the deployment generated");
        let sealed = seal.seal("s#aa", b"{\"access_token\":\"eyJ\"}").await.unwrap();
        assert!(!sealed.windows(3).any(|w| w == b"eyJ"), "nothing of it in clear");
        assert_eq!(seal.open("s#aa", &sealed).await.unwrap().as_deref(), Some(&b"{\"access_token\":\"eyJ\"}"[..]));
        assert_eq!(seal.open("s#bb", &sealed).await.unwrap(), None, "moved to another session: refused");
        let other = SessionSeal::from_value("another key");
        assert_eq!(other.open("s#aa", &sealed).await.unwrap(), None);
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(seal.open("s#aa", &altered).await.unwrap(), None);
        assert_eq!(seal.open("s#aa", b"short").await.unwrap(), None);
        // Two seals of the same data differ (a fresh nonce each time).
        assert_ne!(seal.seal("s#aa", b"x").await.unwrap(), seal.seal("s#aa", b"x").await.unwrap());
    }
}
