//! `/workspaces/connect`: where an install starts (the *Connect Linear workspace* button, the
//! redirect URI to register on the Linear app) and where a failed one explains itself.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::may;
use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::functions::get_connect_info;
use crate::identity::Role;
use crate::wire::{ConnectInfo, CredentialSource, InstallFailure};

/// What the page says for each failure: a headline and what to do next.
pub fn failure_text(f: InstallFailure) -> (&'static str, &'static str) {
    use InstallFailure::*;
    match f {
        StateMissing => ("This sign-in from Linear was not started here", "The console has no record of starting a consent in this browser session (or it was already used). Nothing was written. Start again with Connect Linear workspace."),
        StateExpired => ("The consent took too long", "A consent must finish within 10 minutes of leaving the console. Nothing was written. Start again."),
        StateMismatch => ("This answer from Linear does not match the consent started here", "The state parameter did not match, so the answer was ignored and nothing was written. If you did not just click Authorize on Linear, someone may have sent you this link."),
        AccessDenied => ("You cancelled on Linear", "Linear reported that the consent was denied. Nothing was installed or changed."),
        LinearRefused => ("Linear did not grant access", "Linear returned an error instead of a code. Nothing was written. Check that the Linear app allows this redirect URI and that you are an admin of the workspace, then try again."),
        NoCredentials => ("No Linear OAuth app is configured", "Set LINEAR_CLIENT_ID and LINEAR_CLIENT_SECRET for the console (or install one workspace with the platform's CLI, whose bundle the console can reuse)."),
        UnknownWorkspace => ("That workspace is not in the registry", "Only a registered workspace can be reconnected. Use Connect Linear workspace to install it."),
        ExchangeRejected => ("Linear refused the authorization code", "The code may have expired or been used already, or the client credentials are wrong. Nothing was written. Start again; if it keeps failing, check the Linear app's credentials."),
        ExchangeUnavailable => ("Linear's token service is unavailable", "Linear answered with a server error or could not be reached. Nothing was written. Try again in a few minutes."),
        ExchangeTimeout => ("Linear's token service did not answer in time", "Nothing was written. Try again in a few minutes."),
        LinearApi => ("Linear's API could not describe the workspace", "The token was issued but Linear's API failed to return the organization. Nothing was written. Try again."),
        LinearRateLimited => ("Linear's rate limit was reached", "Nothing was written. Wait a few minutes and try again."),
        InvalidSlug => ("The workspace's URL key cannot be used", "The platform needs a URL key of 4 to 50 letters, digits, '-' or '_'. Nothing was written. Change the workspace's URL in Linear's settings, then connect again."),
        WrongWorkspace => ("A different workspace was authorized", "The reconnect was for one workspace, but Linear authorized another. Nothing was written. Reconnect again and pick the right workspace on Linear's consent page."),
        SlugInUse => ("Another workspace's tokens use this URL key", "Linear gave this workspace a URL key whose token bundle belongs to a different organization (one renamed in Linear since it was installed). Nothing was written. Reconnect or remove that other workspace first, or change this workspace's URL key in Linear."),
        SecretsUnavailable => ("The token store is unavailable", "Secrets Manager (or the registry) could not be used, so the tokens were not saved and nothing was written. Try again shortly."),
        RegistryUnfinished => ("Tokens saved, but the registry was not updated", "The workspace's tokens are safely in Secrets Manager, but its registry row could not be written, so the platform does not see it yet. Finish the install below; it reuses the saved tokens and creates no second secret."),
        NothingToFinish => ("There is no unfinished install in this session", "Nothing was written. If an install failed earlier, connect the workspace again: it updates the same secret."),
        SessionUnavailable => ("The session store is unavailable", "The consent could not be kept in your session. Nothing was written. Try again shortly."),
    }
}

/// Slugs named in the URL are shown only when they look like slugs.
fn slug_param(v: Option<String>) -> Option<String> {
    v.filter(|s| (1..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

#[component]
pub fn ConnectPage() -> impl IntoView {
    let query = use_query_map();
    let info = Resource::new(|| (), |_| get_connect_info());
    let failure = move || query.read().get("error").and_then(|c| InstallFailure::from_code(&c));
    view! {
        <Title text="Connect a Linear workspace"/>
        <PageHeader title="Connect a Linear workspace" subtitle="Install the platform's Linear app in a workspace: you consent on Linear and come back here."/>
        {move || failure().map(|f| {
            let q = query.read();
            view! {
                <FailureNotice
                    failure=f
                    request_id=q.get("rid")
                    expected=slug_param(q.get("expected"))
                    authorized=slug_param(q.get("authorized"))
                    workspace=slug_param(q.get("workspace"))
                    grant=q.get("grant")
                />
            }
        })}
        <Suspense fallback=|| view! { <Loading what="the Linear app settings"/> }>
            {move || info.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(info) => view! { <ConnectPanel info/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn FailureNotice(
    failure: InstallFailure,
    request_id: Option<String>,
    expected: Option<String>,
    authorized: Option<String>,
    workspace: Option<String>,
    grant: Option<String>,
) -> impl IntoView {
    let (title, explain) = failure_text(failure);
    // What became of the tokens Linear issued before the install stopped.
    let grant = match grant.as_deref() {
        Some("revoked") => Some("The tokens Linear issued for this consent were revoked: no grant is left behind."),
        Some("revoke_failed") => Some(
            "Revoking the tokens Linear issued for this consent failed: remove the app's authorization in Linear (Settings → Applications) to end the grant.",
        ),
        _ => None,
    };
    let specifics = match failure {
        InstallFailure::WrongWorkspace => Some(format!(
            "You authorized {} on Linear, but this reconnect was for {}.",
            authorized.unwrap_or_else(|| "another workspace".into()),
            expected.unwrap_or_else(|| "a different workspace".into())
        )),
        InstallFailure::RegistryUnfinished => workspace.map(|w| format!("Workspace: {w}.")),
        InstallFailure::SlugInUse => workspace.map(|w| format!("URL key: {w}.")),
        _ => None,
    };
    let finish = failure == InstallFailure::RegistryUnfinished;
    view! {
        <div role="alert" data-testid="install-failure" data-code=failure.code()
            class="mb-6 rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
            <h2 class="text-base font-semibold">{title}</h2>
            {specifics.map(|s| view! { <p class="mt-1 font-medium" data-testid="failure-specifics">{s}</p> })}
            <p class="mt-1">{explain}</p>
            {grant.map(|g| view! { <p class="mt-1" data-testid="grant-fate">{g}</p> })}
            {finish.then(|| view! {
                <form method="post" action="/api/finish_install" class="mt-3">
                    <button type="submit" class="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-600">"Finish install"</button>
                </form>
            })}
            {request_id.map(|r| view! { <p class="mt-2 text-xs">"Request id "<code class="font-mono">{r}</code></p> })}
        </div>
    }
}

#[component]
fn ConnectPanel(info: ConnectInfo) -> impl IntoView {
    let ready = !matches!(info.credentials, CredentialSource::Missing);
    let source = match &info.credentials {
        CredentialSource::Configured { client_id } => format!("Linear app {client_id}, from the console's configuration."),
        CredentialSource::Reused { client_id, slug } => {
            format!("Linear app {client_id}, reused from the token bundle of {slug} (as the platform's CLI does).")
        }
        CredentialSource::Missing => "No Linear OAuth app: set LINEAR_CLIENT_ID and LINEAR_CLIENT_SECRET for the console.".into(),
    };
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-6 dark:border-slate-800 dark:bg-slate-900">
            <ol class="list-decimal space-y-3 pl-5 text-sm">
                <li>
                    "On the Linear app's settings page, the callback URLs must include exactly:"
                    <pre data-testid="redirect-uri" class="mt-1 overflow-x-auto rounded bg-slate-100 px-3 py-2 font-mono text-xs dark:bg-slate-800">{info.redirect_uri}</pre>
                </li>
                <li>
                    "The app asks for "<code class="font-mono text-xs">{info.scopes}</code>
                    " and installs as an app user (actor=app), which needs a Linear workspace admin to consent."
                </li>
                <li data-testid="credential-source">{source}</li>
            </ol>
            <div class="mt-6">
                {if ready && may(Role::Admin) {
                    view! {
                        // A plain POST (starting a consent changes the session): the router does not intercept plain forms.
                        <form method="post" action="/linear/connect">
                            <button type="submit" data-testid="connect"
                                class="inline-flex rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">
                                "Connect Linear workspace"
                            </button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <span aria-disabled="true" class="inline-flex cursor-not-allowed rounded-md bg-slate-300 px-4 py-2 text-sm font-medium text-slate-600 dark:bg-slate-700 dark:text-slate-300">
                            "Connect Linear workspace"
                        </span>
                    }.into_any()
                }}
                <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">
                    "Connecting a workspace that is already installed reconnects it: its tokens are replaced in place."
                </p>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_own_code_and_words() {
        assert!(console_core::codes::round_trips::<InstallFailure>());
        for f in InstallFailure::ALL.iter().copied() {
            let (title, explain) = failure_text(f);
            assert!(!title.is_empty() && explain.len() > 20, "{f:?}");
        }
        assert_eq!(InstallFailure::from_code("<script>"), None);
    }

    #[test]
    fn only_slug_shaped_names_are_echoed() {
        assert_eq!(slug_param(Some("acme-eng".into())).as_deref(), Some("acme-eng"));
        assert_eq!(slug_param(Some("<b>hi</b>".into())), None);
        assert_eq!(slug_param(Some("a".repeat(51))), None);
    }
}
