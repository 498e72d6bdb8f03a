//! OAuth 2.0 as Linear does it: the consent page, the code exchange with PKCE (S256),
//! refresh with rotation (a used refresh token is `invalid_grant`), and revocation.
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::world::{fault_response, random_hex, CodeGrant, CODE_LIFETIME};
use super::Shared;

#[derive(Deserialize, Clone, Default)]
pub struct AuthorizeParams {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    prompt: String,
}

/// Linear's docs say comma-separated; the platform sends spaces. Both are accepted.
pub fn parse_scopes(scope: &str) -> Vec<String> {
    scope.split([' ', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(format!("<!DOCTYPE html><title>Linear</title><h1>Invalid request</h1><p>{}</p>", esc(msg))))
        .into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn validate(w: &super::World, p: &AuthorizeParams) -> Result<(), &'static str> {
    if p.client_id != w.settings.client_id {
        return Err("Unknown client_id");
    }
    if !w.settings.redirect_uris.contains(&p.redirect_uri) {
        return Err("Invalid redirect_uri");
    }
    if p.response_type != "code" {
        return Err("response_type must be code");
    }
    if p.code_challenge.is_empty() || p.code_challenge_method != "S256" {
        return Err("PKCE with code_challenge_method=S256 is required");
    }
    if parse_scopes(&p.scope).is_empty() {
        return Err("scope is required");
    }
    Ok(())
}

pub async fn authorize_page(State(w): State<Shared>, Query(p): Query<AuthorizeParams>) -> Response {
    let w = w.lock().await;
    if let Err(msg) = validate(&w, &p) {
        return bad_request(msg);
    }
    let scopes: String = parse_scopes(&p.scope).iter().map(|s| format!("<li><code>{}</code></li>", esc(s))).collect();
    let orgs: String = w
        .orgs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            format!(
                "<label><input type=\"radio\" name=\"org_id\" value=\"{}\"{}> {} ({})</label><br>",
                esc(&o.id),
                if i == 0 { " checked" } else { "" },
                esc(&o.name),
                esc(&o.url_key)
            )
        })
        .collect();
    let hidden: String = [
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("response_type", &p.response_type),
        ("scope", &p.scope),
        ("state", &p.state),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("actor", &p.actor),
        ("prompt", &p.prompt),
    ]
    .iter()
    .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
    .collect();
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>Authorize {app} · Linear (stand-in)</title></head>\
         <body><h1>{app} wants to access your Linear workspace</h1>\
         <p>It asks for these scopes:</p><ul>{scopes}</ul>\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}<fieldset><legend>Workspace</legend>{orgs}</fieldset>\
         <button type=\"submit\" name=\"decision\" value=\"authorize\">Authorize</button> \
         <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form></body></html>",
        app = esc(&w.settings.app_name)
    ))
    .into_response()
}

#[derive(Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    org_id: String,
    decision: String,
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", crate::url_encode(v))).collect();
    format!("{uri}{}{}", if uri.contains('?') { '&' } else { '?' }, q.join("&"))
}

pub async fn authorize_decision(State(w): State<Shared>, Form(d): Form<Decision>) -> Response {
    let mut w = w.lock().await;
    let p = d.params;
    if let Err(msg) = validate(&w, &p) {
        return bad_request(msg);
    }
    if d.decision != "authorize" {
        return Redirect::to(&with_query(
            &p.redirect_uri,
            &[("error", "access_denied"), ("error_description", "The user denied the request"), ("state", &p.state)],
        ))
        .into_response();
    }
    let org_id = if d.org_id.is_empty() { w.orgs[0].id.clone() } else { d.org_id };
    if w.org(&org_id).is_none() {
        return bad_request("Unknown workspace");
    }
    let code = random_hex(16);
    w.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: p.client_id,
            redirect_uri: p.redirect_uri.clone(),
            challenge: p.code_challenge,
            org_id,
            scope: parse_scopes(&p.scope).join(" "),
            issued: std::time::Instant::now(),
        },
    );
    Redirect::to(&with_query(&p.redirect_uri, &[("code", &code), ("state", &p.state)])).into_response()
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    refresh_token: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

/// Client credentials from the form or from HTTP Basic, as Linear accepts both.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (&form.client_id, &form.client_secret) {
        return Some((id.clone(), secret.clone()));
    }
    let basic = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(basic).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub async fn token(State(shared): State<Shared>, headers: HeaderMap, Form(form): Form<TokenForm>) -> Response {
    let fault = shared.lock().await.take_fault("token");
    if let Some(f) = fault {
        return fault_response(f).await;
    }
    let mut w = shared.lock().await;
    match client_credentials(&headers, &form) {
        Some((id, secret)) if id == w.settings.client_id && secret == w.settings.client_secret => {}
        _ => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed"),
    }
    let grant = match form.grant_type.as_str() {
        "authorization_code" => {
            // Single use: the code is gone whatever happens next.
            let Some(code) = w.codes.remove(&form.code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Unknown or used code");
            };
            if code.issued.elapsed() > CODE_LIFETIME {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Code expired");
            }
            if code.redirect_uri != form.redirect_uri {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri does not match");
            }
            if s256(&form.code_verifier) != code.challenge {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed");
            }
            w.new_grant(&code.org_id, &code.scope)
        }
        "refresh_token" => {
            let Some(rt) = w.refresh.get_mut(&form.refresh_token) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Unknown refresh token");
            };
            if rt.used {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Refresh token already used");
            }
            rt.used = true;
            let grant = rt.grant;
            if w.grants.get(&grant).is_none_or(|g| g.revoked) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Grant revoked");
            }
            grant
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Unsupported grant_type"),
    };
    let (access, refresh) = w.issue(grant);
    let scope = w.grants[&grant].scope.clone();
    let scope = if w.settings.scope_as_array { json!(parse_scopes(&scope)) } else { json!(scope) };
    Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": w.settings.token_lifetime,
        "scope": scope,
        "refresh_token": refresh,
    }))
    .into_response()
}

#[derive(Default)]
struct RevokeForm {
    access_token: Option<String>,
    refresh_token: Option<String>,
}

/// Revokes the grant behind a token: 200 done, 400 cannot revoke (unknown or already revoked).
pub async fn revoke(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let fault = shared.lock().await.take_fault("revoke");
    if let Some(f) = fault {
        return fault_response(f).await;
    }
    let mut w = shared.lock().await;
    // The body is optional (a Bearer header alone is enough), so it is read by hand.
    let mut form = RevokeForm::default();
    for (k, v) in body.split('&').filter_map(|pair| pair.split_once('=')) {
        match k {
            "access_token" => form.access_token = Some(v.to_owned()),
            "refresh_token" => form.refresh_token = Some(v.to_owned()),
            _ => {}
        }
    }
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned);
    let grant = bearer
        .or(form.access_token)
        .and_then(|t| w.access.get(&t).map(|a| a.grant))
        .or_else(|| form.refresh_token.and_then(|t| w.refresh.get(&t).map(|r| r.grant)));
    match grant.and_then(|g| w.grants.get_mut(&g)) {
        Some(g) if !g.revoked => {
            g.revoked = true;
            StatusCode::OK.into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Token cannot be revoked"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_on_spaces_and_commas() {
        assert_eq!(parse_scopes("read write app:assignable"), vec!["read", "write", "app:assignable"]);
        assert_eq!(parse_scopes("read,write, app:mentionable"), vec!["read", "write", "app:mentionable"]);
        assert!(parse_scopes(" , ").is_empty());
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
