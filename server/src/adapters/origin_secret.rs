//! The origin secret's accepted values: CloudFront's `x-origin-verify` header must carry the
//! current or the previous one (Secrets Manager's `AWSCURRENT` and `AWSPREVIOUS`), read again every
//! `CONSOLE_ORIGIN_SECRET_REFRESH_SECONDS`. Compared as SHA-256 digests in constant time. The
//! middleware that refuses the rest is `web::origin_guard`.
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

type Digests = Vec<[u8; 32]>;

/// The accepted values' digests, read from Secrets Manager and refreshed.
pub struct OriginSecret {
    client: aws_sdk_secretsmanager::Client,
    id: String,
    refresh: Duration,
    known: Mutex<Option<(Instant, Digests)>>,
}

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginSecret").field("id", &self.id).finish_non_exhaustive()
    }
}

fn digest(v: &[u8]) -> [u8; 32] {
    Sha256::digest(v).into()
}

/// Whether `presented` is one of `accepted` (every one compared, in constant time).
pub fn matches(accepted: &[[u8; 32]], presented: &[u8]) -> bool {
    let d = digest(presented);
    accepted.iter().fold(subtle::Choice::from(0), |any, a| any | a.ct_eq(&d)).into()
}

impl OriginSecret {
    pub fn new(client: aws_sdk_secretsmanager::Client, id: impl Into<String>, refresh: Duration) -> OriginSecret {
        OriginSecret { client, id: id.into(), refresh, known: Mutex::new(None) }
    }

    /// One stage's value (`None`: the secret has no such stage, as before its first rotation).
    async fn stage(&self, stage: &str) -> Result<Option<[u8; 32]>, String> {
        let out = self.client.get_secret_value().secret_id(&self.id).version_stage(stage).send().await;
        match out {
            Ok(v) => Ok(v.secret_string.filter(|s| !s.is_empty()).map(|s| digest(s.as_bytes()))),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
            Err(e) => Err(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()),
        }
    }

    /// The accepted digests: read again once `refresh` has passed (one reader at a time; if
    /// Secrets Manager fails then, the values read before stay accepted).
    pub async fn accepted(&self) -> Result<Digests, String> {
        let mut known = self.known.lock().await;
        if let Some((at, d)) = known.as_ref() {
            if at.elapsed() < self.refresh {
                return Ok(d.clone());
            }
        }
        let read = async {
            let current = self.stage("AWSCURRENT").await?.ok_or_else(|| "the origin secret has no value".to_owned())?;
            let previous = self.stage("AWSPREVIOUS").await?;
            Ok::<_, String>([Some(current), previous].into_iter().flatten().collect::<Digests>())
        };
        match read.await {
            Ok(d) => {
                *known = Some((Instant::now(), d.clone()));
                Ok(d)
            }
            Err(e) => match known.as_mut() {
                Some((at, d)) => {
                    tracing::warn!(error = %e, "could not read the origin secret again: the values read before stay accepted");
                    *at = Instant::now();
                    Ok(d.clone())
                }
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_matches_only_an_accepted_one() {
        let accepted = [digest(b"current-value"), digest(b"previous-value")];
        assert!(matches(&accepted, b"current-value"));
        assert!(matches(&accepted, b"previous-value"));
        assert!(!matches(&accepted, b"current-valu"));
        assert!(!matches(&accepted, b""));
        assert!(!matches(&[], b"current-value"));
    }
}
