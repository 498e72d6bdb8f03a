//! How a call out of the process fails, as the services see it: which service, and the cause the
//! adapter kept (the SDK's or HTTP client's own error, with its sources) for the log. A cause is
//! never shown on a page; the edge logs it once, with its chain and the request id.
use std::error::Error;
use std::fmt;

use crate::codes;

/// The error an adapter keeps as a cause.
pub type Cause = Box<dyn Error + Send + Sync>;

codes! {
    /// A service outside the process.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Service {
        DynamoDb = "DynamoDB",
        SecretsManager = "Secrets Manager",
        Cognito = "Cognito",
        Linear = "Linear",
        Sns = "SNS",
        CloudWatchLogs = "CloudWatch Logs",
        EventBridge = "EventBridge",
        Webhook = "a webhook",
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A service could not be reached or refused for its own reasons; nothing the user did.
#[derive(Debug, thiserror::Error)]
#[error("{service}: {}", chain(cause.as_ref()))]
pub struct Unavailable {
    pub service: Service,
    #[source]
    pub cause: Cause,
}

impl Unavailable {
    pub fn new(service: Service, cause: impl Into<Cause>) -> Unavailable {
        Unavailable { service, cause: cause.into() }
    }
}

/// A store's call failed: the condition of a conditional write did not hold (someone else wrote
/// first), or the store is unavailable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the record changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl StoreError {
    /// The service at fault, if it was one.
    pub fn unavailable(&self) -> Option<&Unavailable> {
        match self {
            StoreError::Conflict => None,
            StoreError::Unavailable(u) => Some(u),
        }
    }
}

/// An error and its sources on one line (`a: b: c`), for the log: an SDK's own `Display` says
/// only "service error", the detail is in its sources. A source whose words are already written
/// (an error that shows its own chain) is left out.
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("service error")]
    struct Sdk(#[source] std::io::Error);

    #[test]
    fn the_chain_carries_the_detail_an_sdk_keeps_in_its_sources() {
        let e = Unavailable::new(Service::DynamoDb, Sdk(std::io::Error::other("ThrottlingException: slow down")));
        assert_eq!(e.to_string(), "DynamoDB: service error: ThrottlingException: slow down");
        let wrapped = StoreError::from(e);
        assert_eq!(chain(&wrapped), "DynamoDB: service error: ThrottlingException: slow down");
        assert!(wrapped.unavailable().is_some() && StoreError::Conflict.unavailable().is_none());
    }
}
