//! Adapters for Linear: OAuth (authorize URL, code exchange) and the GraphQL API.
//! Tokens cross these modules only as `SecretString`; errors carry no response body.
pub mod graphql;
pub mod oauth;

use std::time::Duration;

/// One HTTP client for Linear: no redirects followed (a token endpoint that redirects is
/// refused, not chased), and a timeout so a hung Linear cannot hold a request forever. A client
/// that cannot be built (no TLS backend) stops the start: one without its timeout never will.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("linear-admin-console")
        .build()
}
