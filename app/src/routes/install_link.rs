//! The public pages of an install link, for a Linear workspace admin with no console account:
//! `/install/<link>` (who asks, what the app may do, what happens next, then Linear's consent) and
//! `/install/done` (how it went). The link itself was looked up by the server before the page (one
//! read whatever the link, rate-limited by address); a link that cannot be used gets one page,
//! whatever the reason. No token, secret or internal id is shown.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::install_links_view::{LinkLanding, LinkLookup};
use crate::relative_time::When;
use crate::routes::connect::failure_text;
use crate::routes::login::AuthCard;
use crate::wire::InstallFailure;

/// What the app may do in the workspace, in words (the scopes `read write app:assignable app:mentionable`).
const SCOPES_IN_WORDS: [&str; 4] = [
    "read the workspace's issues, projects, teams and members;",
    "write: comment on issues and update them as the platform works on them;",
    "be assigned issues, as an app user of the workspace;",
    "be mentioned in issues and comments.",
];

/// What the server's lookup found for this request (server side only: the page is not hydrated).
fn lookup() -> LinkLookup {
    #[cfg(feature = "ssr")]
    {
        let found = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<LinkLookup>().cloned());
        let found = found.unwrap_or(LinkLookup::NotUsable);
        match &found {
            LinkLookup::Waiting(_) => {}
            LinkLookup::NotUsable => crate::edge::set_status(404),
            LinkLookup::Throttled => crate::edge::set_status(429),
        }
        found
    }
    #[cfg(not(feature = "ssr"))]
    {
        LinkLookup::NotUsable
    }
}

#[component]
pub fn InstallLinkPage() -> impl IntoView {
    let found = lookup();
    view! {
        <Title text="Connect Linear"/>
        {match found {
            LinkLookup::Waiting(l) => view! { <Landing l/> }.into_any(),
            LinkLookup::NotUsable => view! {
                <AuthCard title="This link cannot be used">
                    <p data-testid="link-unusable" class="text-sm">
                        "It may have been used already, revoked or expired, or it was copied incompletely. Ask the person who sent it for a new one."
                    </p>
                </AuthCard>
            }.into_any(),
            LinkLookup::Throttled => view! {
                <AuthCard title="Too many requests">
                    <p data-testid="link-throttled" class="text-sm">"Too many requests came from your network. Try again in 15 minutes."</p>
                </AuthCard>
            }.into_any(),
        }}
    }
}

#[component]
fn Landing(l: LinkLanding) -> impl IntoView {
    let what = match &l.reconnect {
        Some(ws) => {
            format!("to reconnect the platform's Linear app in {ws}: its access there ended and only a workspace admin can grant it again.")
        }
        None => {
            "to install the platform's Linear app in your Linear workspace, so that issues there can become coding-agent tasks.".to_owned()
        }
    };
    view! {
        <AuthCard title="Connect the bgagent coding-agent platform to Linear">
            <div data-testid="install-landing" class="space-y-3 text-sm">
                <p><strong data-testid="asked-by">{l.asked_by.clone()}</strong>", an admin of the platform's console, asks you "{what}</p>
                {l.only_for.clone().map(|w| view! { <p data-testid="only-for">{format!("This link is for {w} only: pick it on Linear's page.")}</p> })}
                {l.note.clone().map(|n| view! {
                    <blockquote data-testid="link-note" class="whitespace-pre-line rounded-md border-l-4 border-indigo-300 bg-indigo-50 p-3 dark:border-indigo-700 dark:bg-indigo-950">{n}</blockquote>
                })}
                <div>
                    <p class="font-medium">"The app will be able to:"</p>
                    <ul class="list-disc pl-5">{SCOPES_IN_WORDS.iter().map(|s| view! { <li>{*s}</li> }).collect_view()}</ul>
                </div>
                <p>
                    "What happens next: Linear asks you, a workspace admin, to approve. Then you come back here to a confirmation. "
                    "The access Linear grants is kept in the platform's AWS account; nobody is shown it. You can remove the app at any time in Linear's settings."
                </p>
                <p class="text-xs text-slate-500 dark:text-slate-400">"This link works once, until " <When at=l.expires_at.clone() class="inline"/> "."</p>
                // No action: it posts to the page's own address, so the page need not repeat the link.
                <form method="post" class="space-y-3">
                    <label class="block text-sm font-medium">"Your name or email (optional, for the console's audit log)"
                        <input name="stated_by" maxlength="120" autocomplete="name" data-testid="stated-by"
                            class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-950"/>
                    </label>
                    <button type="submit" data-testid="continue-to-linear" class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">
                        "Continue to Linear"
                    </button>
                </form>
            </div>
        </AuthCard>
    }
}

/// `/install/done?result=installed|reconnected&workspace=…` or `?error=<code>&grant=…&rid=…`.
#[component]
pub fn InstallDonePage() -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let workspace = q.get("workspace").filter(|w| w.len() <= 50 && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let failure = q.get("error").and_then(|c| <InstallFailure as console_core::codes::Code>::from_code(&c));
    let grant = q.get("grant");
    let rid = q.get("rid").filter(|r| console_core::ids::RequestId::parse(r).is_ok());
    let ok = matches!(q.get("result").as_deref(), Some("installed" | "reconnected"));
    view! {
        <Title text="Connect Linear"/>
        {match (failure, ok) {
            (Some(f), _) => {
                let (title, explain) = failure_text(f);
                let code = <InstallFailure as console_core::codes::Code>::code(f);
                let grant = match grant.as_deref() {
                    Some("revoked") => Some("The access Linear granted for this consent was revoked: nothing is left behind."),
                    Some("revoke_failed") => Some("Revoking the access Linear granted failed: remove the app in Linear's settings (Applications)."),
                    _ => None,
                };
                view! {
                    <AuthCard title=title>
                        <div data-testid="install-done" data-code=code class="space-y-2 text-sm">
                            <p>{explain}</p>
                            {grant.map(|g| view! { <p data-testid="grant-fate">{g}</p> })}
                            {rid.map(|r| view! { <p class="text-xs">"Request id "<code class="font-mono">{r}</code></p> })}
                        </div>
                    </AuthCard>
                }.into_any()
            }
            (None, true) => view! {
                <AuthCard title="Connected">
                    <p data-testid="install-done" data-code="ok" class="text-sm">
                        {format!("The platform's Linear app is connected{}. The person who sent you the link has been told. You can close this page.",
                            workspace.map(|w| format!(" to linear.app/{w}")).unwrap_or_default())}
                    </p>
                </AuthCard>
            }.into_any(),
            (None, false) => view! {
                <AuthCard title="Nothing to show">
                    <p class="text-sm">"Open the install link you were sent."</p>
                </AuthCard>
            }.into_any(),
        }}
    }
}
