//! The address a request comes from, for the sign-in throttle. Only what the console can trust:
//! the socket's peer, or (behind proxies the operator declares with `CONSOLE_TRUSTED_PROXY_HOPS`)
//! the entry those proxies appended to `X-Forwarded-For`, counted from the right, since anything
//! to its left is whatever the client sent. On Lambda the event's source IP stands in for the peer.
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// Notes (once, with a warning in the log and on `/settings`) that requests arrive through a proxy
/// while no proxy hop is trusted: then every client shares the proxy's address, and the sign-in
/// throttle's per-address counts slow or block everyone at once.
pub async fn note_proxy_without_hops(
    axum::extract::State(state): axum::extract::State<crate::web::state::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if state.config.access.trusted_proxy_hops == 0 && req.headers().contains_key("x-forwarded-for") {
        let seen = &state.console.proxy_without_hops;
        if !seen.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(
                "requests arrive with X-Forwarded-For but CONSOLE_TRUSTED_PROXY_HOPS is 0: every client shares the proxy's address, so the sign-in throttle's per-address limits slow or block all sign-ins at once; set it to the number of proxies in front"
            );
        }
    }
    next.run(req).await
}

/// The client's address, as an extractor for the routes that need it.
pub struct ClientAddress(pub String);

impl axum::extract::FromRequestParts<crate::web::state::AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::web::state::AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts, state.config.access.trusted_proxy_hops)))
    }
}

/// The client's address as text (`unknown` when there is none to trust).
pub fn client_address(parts: &Parts, trusted_hops: usize) -> String {
    if trusted_hops > 0 {
        let forwarded: Vec<String> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(hop) = forwarded.len().checked_sub(trusted_hops).and_then(|i| forwarded.get(i)) {
            if let Ok(ip) = hop.parse::<std::net::IpAddr>() {
                return ip.to_string();
            }
        }
    }
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return peer.ip().to_string();
    }
    lambda_source_ip(parts).unwrap_or_else(|| "unknown".to_owned())
}

fn lambda_source_ip(parts: &Parts) -> Option<String> {
    use lambda_http::request::RequestContext;
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: Option<&str>, peer: Option<&str>) -> Parts {
        let mut req = axum::http::Request::builder();
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        if let Some(p) = peer {
            parts.extensions.insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        assert_eq!(client_address(&parts(Some("198.51.100.7"), Some("10.0.0.5:4431")), 0), "10.0.0.5");
        assert_eq!(client_address(&parts(None, None), 0), "unknown");
    }

    #[test]
    fn behind_trusted_proxies_the_entry_they_appended_counts() {
        // The client forged the first entry; the load balancer appended the real one.
        let p = parts(Some("6.6.6.6, 203.0.113.9"), Some("10.0.0.5:4431"));
        assert_eq!(client_address(&p, 1), "203.0.113.9");
        assert_eq!(client_address(&parts(Some("203.0.113.9, 130.176.0.1"), None), 2), "203.0.113.9");
        assert_eq!(client_address(&parts(Some("not-an-ip"), Some("10.0.0.5:1")), 1), "10.0.0.5", "garbage: the peer");
        assert_eq!(client_address(&parts(None, Some("10.0.0.5:1")), 2), "10.0.0.5", "too few entries: the peer");
    }
}
