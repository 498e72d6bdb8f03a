//! What every handler can reach: configuration, AWS clients, the sign-in adapters, the services,
//! and the context the app's server functions get.
use std::sync::Arc;

use axum::extract::FromRef;
use console_core::services::Services;
use leptos::config::LeptosOptions;

use crate::adapters::cognito::id_token::IdTokenVerifier;
use crate::adapters::cognito::sign_in::CognitoAuth;
use crate::adapters::dynamodb::audit::DynamoAudit;
use crate::adapters::AwsClients;
use crate::config::Config;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub aws: AwsClients,
    pub verifier: Arc<IdTokenVerifier>,
    pub cognito_auth: CognitoAuth,
    pub mfa: crate::adapters::cognito::mfa::Mfa,
    pub services: Arc<Services>,
    /// What the app's server functions reach, provided to each request.
    pub console: app::edge::Console,
    /// The audit table itself (its one-time migration at start).
    pub audit_table: DynamoAudit,
    pub readiness: Readiness,
    pub export_limits: ExportLimits,
    /// Pages of people read per session (the personal-data rule).
    pub people_pages: PeoplePages,
    /// The sessions table, shared by the session layer and the members' lists of sessions (so a
    /// session ended here is forgotten by this instance's cache at once).
    pub session_store: crate::adapters::dynamodb::sessions::DynamoSessionStore,
    /// The values CloudFront's origin header must carry, when configured.
    pub origin_secret: Option<std::sync::Arc<crate::adapters::origin_secret::OriginSecret>>,
}

/// The last `/readyz` answer (ready?, the body), reused for `probes::READY_FOR`: concurrent probes
/// wait for one answer instead of asking AWS again (the console's one read cache).
#[derive(Clone)]
pub struct Readiness(pub console_core::cache::ReadCache<(), (bool, serde_json::Value)>);

/// Exports allowed per session per minute.
pub const EXPORTS_PER_MINUTE: usize = 5;

/// Recent exports by session, in this process (a per-instance limit: enough to stop one browser
/// from turning exports into a flood of DynamoDB reads).
pub type ExportLimits = PerMinute<EXPORTS_PER_MINUTE>;

/// Pages of people (`web::personal_data`) by session, in this process.
pub type PeoplePages = PerMinute<PEOPLE_PAGES_PER_MINUTE>;

/// Pages of people per session per minute, whatever the role (pages and server functions alike).
pub const PEOPLE_PAGES_PER_MINUTE: usize = 60;

/// At most `N` of something per key in any minute, counted in this process.
#[derive(Clone, Default)]
pub struct PerMinute<const N: usize>(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<i64>>>>);

impl<const N: usize> PerMinute<N> {
    /// Records one for `who` at `now` if fewer than `N` were in the last minute; `false` (nothing
    /// recorded) otherwise.
    pub fn allow(&self, who: &str, now: i64) -> bool {
        if self.full(who, now) {
            return false;
        }
        self.record(who, now);
        true
    }

    /// Whether `who` has had `N` in the last minute.
    pub fn full(&self, who: &str, now: i64) -> bool {
        let Ok(mut recent) = self.0.lock() else { return true };
        recent.retain(|_, times| {
            times.retain(|t| now - t < 60);
            !times.is_empty()
        });
        recent.get(who).is_some_and(|t| t.len() >= N)
    }

    /// Counts one for `who` at `now`.
    pub fn record(&self, who: &str, now: i64) {
        if let Ok(mut recent) = self.0.lock() {
            recent.entry(who.to_owned()).or_default().push(now);
        }
    }
}
