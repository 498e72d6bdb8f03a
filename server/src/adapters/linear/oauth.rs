//! Linear OAuth with the `oauth2` crate: the authorize URL the platform uses (space-separated
//! scopes, `actor=app`, `prompt=consent`, PKCE S256), the code exchange and the refresh, whose
//! response may carry `scope` as a string or, for apps made before 2023-12, as an array, and the
//! revocation. No error carries a response body: it may hold tokens.
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
pub use console_core::ports::SCOPES;
use console_core::ports::{AppCredentials, Authorization, EndpointError, IssuedTokens, LinearOAuth, Revocation, TokenError, TokenKind};
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

/// A token response as Linear sends it. `scope` is normalised to a list either way.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinearTokenResponse {
    access_token: AccessToken,
    #[serde(default = "bearer", deserialize_with = "token_type")]
    token_type: BasicTokenType,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default, deserialize_with = "scope_string_or_array")]
    scope: Option<Vec<Scope>>,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

fn token_type<'de, D: Deserializer<'de>>(d: D) -> Result<BasicTokenType, D::Error> {
    let raw = String::deserialize(d)?;
    Ok(if raw.eq_ignore_ascii_case("bearer") { BasicTokenType::Bearer } else { BasicTokenType::Extension(raw) })
}

fn scope_string_or_array<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        List(Vec<String>),
    }
    let parts = match Option::<Raw>::deserialize(d)? {
        None => return Ok(None),
        Some(Raw::Text(s)) => s.split([' ', ',']).filter(|p| !p.is_empty()).map(str::to_owned).collect::<Vec<_>>(),
        Some(Raw::List(l)) => l,
    };
    Ok(Some(parts.into_iter().map(Scope::new).collect()))
}

impl TokenResponse for LinearTokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

/// The tokens of a token response; `requested` stands in when Linear omits `scope` (it means
/// "as asked").
pub fn issued(res: &LinearTokenResponse, requested: &str) -> Result<IssuedTokens, TokenError> {
    issued_refreshing(res, requested, None)
}

/// As [`issued`]; a refresh answer without a new refresh token keeps `previous` (RFC 6749 allows a
/// server not to rotate; Linear always does, but the old token must not be dropped).
pub fn issued_refreshing(res: &LinearTokenResponse, requested: &str, previous: Option<&SecretString>) -> Result<IssuedTokens, TokenError> {
    let refresh = match (res.refresh_token(), previous) {
        (Some(r), _) => SecretString::from(r.secret().clone()),
        (None, Some(p)) => p.clone(),
        (None, None) => return Err(TokenError::Malformed("no refresh_token")),
    };
    let scope = match res.scopes() {
        Some(list) if !list.is_empty() => list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
        _ => requested.to_owned(),
    };
    Ok(IssuedTokens {
        access_token: SecretString::from(res.access_token().secret().clone()),
        refresh_token: refresh,
        // Linear's tokens live 24 h; a missing lifetime is taken as that, less a margin.
        expires_in: res.expires_in().unwrap_or(Duration::from_secs(86_399)),
        scope,
    })
}

#[derive(Clone, Debug)]
pub struct LinearOAuthClient {
    http: reqwest::Client,
    authorize_url: String,
    token_url: String,
    redirect_uri: String,
}

type Client = oauth2::Client<
    BasicErrorResponse,
    LinearTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The transport beneath oauth2: keeps the status a 5xx or a timeout, which oauth2 would
/// otherwise fold into a parse error holding the body.
#[derive(Debug, thiserror::Error)]
enum Transport {
    #[error("timeout")]
    Timeout,
    #[error("unreachable")]
    Unreachable,
    #[error("HTTP {0}")]
    Status(u16),
}

impl LinearOAuthClient {
    pub fn new(http: reqwest::Client, base_url: &str, api_url: &str, redirect_uri: &str) -> LinearOAuthClient {
        LinearOAuthClient {
            http,
            authorize_url: format!("{base_url}/oauth/authorize"),
            token_url: format!("{api_url}/oauth/token"),
            redirect_uri: redirect_uri.to_owned(),
        }
    }

    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    fn client(&self, creds: &AppCredentials) -> Result<Client, EndpointError> {
        let bad = |e: oauth2::url::ParseError| EndpointError(e.to_string());
        Ok(oauth2::Client::new(ClientId::new(creds.client_id.clone()))
            .set_client_secret(ClientSecret::new(creds.client_secret.expose_secret().to_owned()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone()).map_err(bad)?)
            .set_auth_type(AuthType::RequestBody))
    }
}

#[async_trait]
impl LinearOAuth for LinearOAuthClient {
    /// The consent URL with a fresh 32-byte `state` and a PKCE S256 challenge.
    fn authorization(&self, creds: &AppCredentials) -> Result<Authorization, EndpointError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client(creds)?
            .authorize_url(|| CsrfToken::new_random_len(32))
            .add_scope(Scope::new(SCOPES.to_owned()))
            .set_pkce_challenge(challenge)
            .add_extra_param("actor", "app")
            .add_extra_param("prompt", "consent")
            .url();
        Ok(Authorization { url: url.to_string(), state: state.secret().clone(), verifier: SecretString::from(verifier.secret().clone()) })
    }

    /// Exchanges the code (with the PKCE verifier) for tokens.
    async fn exchange(&self, creds: &AppCredentials, code: &str, verifier: &SecretString) -> Result<IssuedTokens, TokenError> {
        let client = self.client(creds).map_err(|_| TokenError::Unreachable)?;
        let http = LinearHttp(self.http.clone());
        let res = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
            .request_async(&http)
            .await;
        match res {
            Ok(res) => issued(&res, SCOPES),
            Err(e) => Err(classify(e)),
        }
    }

    /// Trades a refresh token for new tokens. Linear rotates: the one given is dead afterwards,
    /// so the caller must save the answer at once.
    async fn refresh(&self, creds: &AppCredentials, refresh_token: &SecretString, scope: &str) -> Result<IssuedTokens, TokenError> {
        let client = self.client(creds).map_err(|_| TokenError::Unreachable)?;
        let http = LinearHttp(self.http.clone());
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        match client.exchange_refresh_token(&token).request_async(&http).await {
            Ok(res) => issued_refreshing(&res, scope, Some(refresh_token)),
            Err(e) => Err(classify(e)),
        }
    }

    /// `POST /oauth/revoke` with the token as a form field (`access_token` or `refresh_token`),
    /// Linear's form rather than RFC 7009's `token=`. 400 or 401: already revoked, or the token
    /// no longer authenticates; nothing left to do.
    async fn revoke(&self, kind: TokenKind, token: &SecretString) -> Result<Revocation, TokenError> {
        let url = self.token_url.replace("/oauth/token", "/oauth/revoke");
        let field = match kind {
            TokenKind::Refresh => "refresh_token",
            TokenKind::Access => "access_token",
        };
        let res = self.http.post(url).form(&[(field, token.expose_secret())]).send().await.map_err(|e| {
            if e.is_timeout() {
                TokenError::Timeout
            } else {
                TokenError::Unreachable
            }
        })?;
        match res.status().as_u16() {
            200..=299 => Ok(Revocation::Revoked),
            400 | 401 => Ok(Revocation::AlreadyDead),
            status => Err(TokenError::Unavailable { status }),
        }
    }
}

/// oauth2's HTTP client: reqwest, with 5xx, redirects and timeouts kept as typed errors.
struct LinearHttp(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for LinearHttp {
    type Error = Transport;
    type Future = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Transport>> + Send + Sync + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

async fn send(http: &reqwest::Client, req: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Transport> {
    let req = reqwest::Request::try_from(req).map_err(|_| Transport::Unreachable)?;
    let res = http.execute(req).await.map_err(|e| if e.is_timeout() { Transport::Timeout } else { Transport::Unreachable })?;
    let status = res.status();
    if status.is_server_error() || status.is_redirection() {
        return Err(Transport::Status(status.as_u16()));
    }
    let mut builder = http::Response::builder().status(status);
    for (name, value) in res.headers() {
        builder = builder.header(name, value);
    }
    let body = res.bytes().await.map_err(|e| if e.is_timeout() { Transport::Timeout } else { Transport::Unreachable })?;
    builder.body(body.to_vec()).map_err(|_| Transport::Unreachable)
}

fn classify(e: RequestTokenError<Transport, BasicErrorResponse>) -> TokenError {
    match e {
        RequestTokenError::ServerResponse(r) => TokenError::Rejected { code: r.error().to_string() },
        RequestTokenError::Request(Transport::Timeout) => TokenError::Timeout,
        RequestTokenError::Request(Transport::Unreachable) => TokenError::Unreachable,
        RequestTokenError::Request(Transport::Status(status)) => TokenError::Unavailable { status },
        // The body is dropped here on purpose: a 200 that failed to parse may still hold tokens.
        RequestTokenError::Parse(..) => TokenError::Malformed("not the JSON Linear sends"),
        RequestTokenError::Other(_) => TokenError::Malformed("unexpected response"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> LinearTokenResponse {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scope_is_read_as_a_string_or_an_array() {
        let modern = parse(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":86399,"scope":"read write app:assignable app:mentionable","refresh_token":"r"}"#,
        );
        assert_eq!(issued(&modern, SCOPES).unwrap().scope, "read write app:assignable app:mentionable");
        let legacy = parse(r#"{"access_token":"a","token_type":"bearer","expires_in":600,"scope":["read","write"],"refresh_token":"r"}"#);
        let t = issued(&legacy, SCOPES).unwrap();
        assert_eq!((t.scope.as_str(), t.expires_in), ("read write", Duration::from_secs(600)));
        let commas = parse(r#"{"access_token":"a","token_type":"Bearer","scope":"read,write","refresh_token":"r"}"#);
        assert_eq!(issued(&commas, SCOPES).unwrap().scope, "read write");
        let none = parse(r#"{"access_token":"a","refresh_token":"r"}"#);
        assert_eq!(issued(&none, SCOPES).unwrap().scope, SCOPES, "no scope means as requested");
    }

    #[test]
    fn a_response_without_a_refresh_token_is_refused() {
        let res = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":86399,"scope":"read"}"#);
        assert_eq!(issued(&res, SCOPES).unwrap_err(), TokenError::Malformed("no refresh_token"));
    }

    #[test]
    fn the_authorize_url_carries_the_platforms_parameters() {
        let oauth = LinearOAuthClient::new(
            reqwest::Client::new(),
            "https://linear.app",
            "https://api.linear.app",
            "https://console.example.com/linear/callback",
        );
        let creds = AppCredentials { client_id: "cid".into(), client_secret: "csecret".into() };
        let a = oauth.authorization(&creds).unwrap();
        let url = oauth2::url::Url::parse(&a.url).unwrap();
        assert_eq!(url.path(), "/oauth/authorize");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["scope"], SCOPES);
        assert_eq!(q["actor"], "app");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "https://console.example.com/linear/callback");
        assert_eq!(q["state"], a.state);
        assert!(a.state.len() >= 43, "32 random bytes, base64url: {}", a.state);
        assert!(!a.url.contains("csecret"));
        // The stand-in's independent S256 (RFC 7636) must accept the verifier we keep.
        assert_eq!(q["code_challenge"], end2end::linear::oauth::s256(a.verifier.expose_secret()));
    }
}
