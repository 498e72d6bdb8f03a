//! `/workspaces/connect`: where an install starts (the *Connect Linear workspace* button, the
//! redirect URI to register on the Linear app), where a failed one explains itself, and where
//! admins make install links for a Linear workspace admin.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::may;
use crate::components::copy::CopyButton;
use crate::components::status::{ErrorNotice, Loading, NoticeBanner, PageHeader};
use crate::functions::{get_connect_info, list_install_links, take_new_install_link, CreateInstallLink, RevokeInstallLink};
use crate::identity::Role;
use crate::install_links_view::LinkStatus;
use crate::relative_time::When;
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
        LinkUnusable => ("This install link can no longer be used", "It was used already, revoked, or it expired. Nothing was written, and the access Linear just granted was revoked. Ask the person who sent it for a new link."),
        LinkWrongWorkspace => ("This link is for another Linear workspace", "You authorized a different workspace than the one this link is for. Nothing was written, and the access Linear just granted was revoked. Open the link again and pick the right workspace on Linear's page."),
        LinkUnavailable => ("Install links are unavailable right now", "The console could not read its install links. Nothing was written, and the access Linear just granted was revoked. Try again in a few minutes."),
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
        // Decided once, outside any Suspense: a Suspense renders its children again when their
        // resources resolve, and *Install links* takes the new link's one showing on its first
        // render (the role read here is why the SSR log warns of a resource read outside one).
        {may(Role::Admin).then(|| view! { <InstallLinks/> })}
    }
}

/// The outcome of a link form (`?link=`), in words.
fn link_outcome(code: &str) -> Option<(bool, &'static str)> {
    Some(match code {
        "made" => (true, "Install link made. Copy it now: it is shown once and only its hash is kept."),
        "revoked" => (true, "Install link revoked: it opens nothing any more."),
        "bad_expiry" => (false, "A link lives from 1 hour to 7 days (168 hours). Nothing was made."),
        "unknown_workspace" => (false, "That workspace is not in the registry. Nothing was made."),
        "not_waiting" => (false, "That link is no longer waiting (used, expired or revoked). Nothing changed."),
        "unavailable" => (false, "DynamoDB is unavailable; nothing was made. Try again shortly."),
        _ => return None,
    })
}

/// *Install links for a Linear admin*: make one (shown once), see each one's state, revoke.
#[component]
fn InstallLinks() -> impl IntoView {
    let query = use_query_map();
    let outcome = move || query.read().get("link").and_then(|c| link_outcome(&c));
    let made = Resource::new(|| (), |_| take_new_install_link());
    let links = Resource::new(|| (), |_| list_install_links());
    let create = ServerAction::<CreateInstallLink>::new();
    let revoke = ServerAction::<RevokeInstallLink>::new();
    let field = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900";
    view! {
        <section id="install-links" data-testid="install-links" class="mt-8 rounded-lg border border-slate-200 bg-white p-6 text-sm dark:border-slate-800 dark:bg-slate-900">
            <h2 class="text-lg font-semibold">"Install links for a Linear admin"</h2>
            <p class="mt-1 text-slate-600 dark:text-slate-300">
                "Only a Linear workspace admin can consent to the app's install. Send them a link: they need no console account, see who asks and what the app may do, and consent on Linear. What it writes is what your own install writes (you are the installer). Single use; you are told when it is used."
            </p>
            {move || outcome().map(|(good, text)| view! { <NoticeBanner good text/> })}
            <Suspense fallback=|| ()>
                {move || made.get().and_then(|r| r.ok().flatten()).map(|url| view! {
                    <div data-testid="new-link" class="my-3 rounded-md border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-800 dark:bg-emerald-950">
                        <p class="font-medium">"The link (shown once):"</p>
                        <code data-testid="new-link-url" class="mt-1 block break-all font-mono text-xs">{url.clone()}</code>
                        <CopyButton text=url what="install link".to_string()/>
                    </div>
                })}
            </Suspense>
            <ActionForm action=create attr:class="mt-4 grid gap-3 sm:grid-cols-2" attr:data-testid="make-link">
                <label>"Only for the Linear workspace (url key or organization id; optional)"
                    <input name="only_for" maxlength="64" placeholder="acme-eng" data-testid="link-only-for" class=field/>
                </label>
                <label>"Valid for (hours, 1 to 168)"
                    <input name="hours" type="number" min="1" max="168" value="24" data-testid="link-hours" class=field/>
                </label>
                <label class="sm:col-span-2">"A note for the person (optional)"
                    <textarea name="note" maxlength="500" rows="2" data-testid="link-note-input" class=field></textarea>
                </label>
                <div class="sm:col-span-2">
                    <button type="submit" data-testid="make-link-submit" class="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500">"Make install link"</button>
                </div>
            </ActionForm>
            <Suspense fallback=|| view! { <Loading what="install links"/> }>
                {move || links.get().map(|r| match r {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="mt-4 text-slate-500">"No install link yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <ul class="mt-4 divide-y divide-slate-100 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                            {rows.into_iter().map(|l| view! {
                                <li data-testid="link-row" data-status=l.status.code() class="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2">
                                    <code class="font-mono text-xs">{format!("…{}", l.tail)}</code>
                                    <span class="font-medium">{l.purpose.clone()}</span>
                                    <span data-testid="link-status" class="rounded-full bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800">{l.status.code()}</span>
                                    <span class="text-xs text-slate-500">{format!("by {}", l.created_by)}</span>
                                    <span class="text-xs text-slate-500">"until " <When at=l.expires_at.clone() class="inline"/></span>
                                    {l.bound.clone().map(|b| view! { <span class="text-xs">{format!("only {b}")}</span> })}
                                    {l.used.clone().or(l.revoked.clone()).map(|u| view! { <span data-testid="link-use" class="w-full text-xs text-slate-600 dark:text-slate-300">{u}</span> })}
                                    {(l.status == LinkStatus::Waiting).then(|| view! {
                                        <ActionForm action=revoke attr:class="ml-auto">
                                            <input type="hidden" name="id" value=l.id.clone()/>
                                            <button type="submit" data-testid="revoke-link" class="rounded-md border border-slate-300 px-2 py-0.5 text-xs dark:border-slate-700">"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Suspense>
        </section>
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
