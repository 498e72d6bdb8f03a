//! Who is acting in a plain axum route (the Linear consent and callback, the CSV download): the
//! request id the edge gave the request, and the admin as the services audit them. The admin
//! itself is proven by `app::guard::Member`, an extractor such a route takes as a parameter.
use app::guard::Member;
use axum::http::HeaderMap;

use crate::domain::audit::Actor;

/// The request id the edge gave this request (`x-request-id`), for audit events and messages.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Who makes the changes of this request, for the services to audit.
pub fn actor(admin: &Member, headers: &HeaderMap) -> Actor {
    Actor { sub: admin.identity().sub.clone(), email: admin.identity().email.clone(), request_id: request_id(headers) }
}
