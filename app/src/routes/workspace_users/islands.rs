//! The page's islands: *Link all suggested*, *Create platform users and link all* and *Reload from
//! Linear*, each a plain form POST before the wasm has loaded and an in-place run with progress after it.
use leptos::prelude::*;
use server_fn::ServerFn;

use super::view_fields;
use crate::functions::{CreateUnmatched, LinkSuggested, ReloadUsers};
use crate::user_links_view::UsersQuery;

/// What an in-place run leaves for the page it reloads (the list is rendered on the server, so a
/// finished run reloads the page to show the new links, and the report must survive that).
mod handover {
    /// The report of `kind` for workspace `org`, saved for the next page load of this tab, which
    /// then loads: the same view, marked `changed=1` so the server reads the list afresh rather than
    /// from before the change (see `crate::outcomes::after_change`).
    #[cfg(feature = "hydrate")]
    pub fn keep_and_reload<T: serde::Serialize>(kind: &str, org: &str, report: &T) {
        let Some(window) = web_sys::window() else { return };
        if let (Ok(Some(storage)), Ok(json)) = (window.session_storage(), serde_json::to_string(report)) {
            let _ = storage.set_item(&format!("console.{kind}.{org}"), &json);
        }
        let location = window.location();
        let (path, search) = (location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
        let _ = location.set_href(&super::changed_view(&path, &search));
    }

    /// The report a run of `kind` left for this page, taken (shown once).
    #[cfg(feature = "hydrate")]
    pub fn take<T: serde::de::DeserializeOwned>(kind: &str, org: &str) -> Option<T> {
        let storage = web_sys::window()?.session_storage().ok()??;
        let key = format!("console.{kind}.{org}");
        let json = storage.get_item(&key).ok()??;
        let _ = storage.remove_item(&key);
        serde_json::from_str(&json).ok()
    }
}

/// `path` with the view of `search` (a leading `?` or none) and `changed=1`: the URL a page
/// reloads to after changing something in place.
#[cfg(any(feature = "hydrate", test))]
fn changed_view(path: &str, search: &str) -> String {
    let kept: Vec<&str> = search.trim_start_matches('?').split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("changed=")).collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("{path}?{query}changed=1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_in_place_reloads_the_same_view_marked_changed() {
        assert_eq!(super::changed_view("/workspaces/o/users", ""), "/workspaces/o/users?changed=1");
        assert_eq!(super::changed_view("/workspaces/o/users", "?q=ada&page=2"), "/workspaces/o/users?q=ada&page=2&changed=1");
        assert_eq!(super::changed_view("/w", "?changed=1&state=linked"), "/w?state=linked&changed=1", "marked once");
    }
}

/// The state of an in-place *Link all suggested*.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Bulk {
    progress: Option<(usize, usize)>,
    /// (who, what happened, linked?)
    results: Vec<(String, String, bool)>,
    error: Option<String>,
}

/// *Link all suggested*: a plain form POST before the wasm; after it (an island), batches of 10
/// through `link_users`, reported as they complete; then the page reloads with the new links and
/// the report kept.
#[island]
pub(super) fn BulkLink(org_id: String, query: UsersQuery, count: usize) -> impl IntoView {
    let bulk = RwSignal::new(Bulk::default());
    #[cfg(feature = "hydrate")]
    {
        let org = org_id.clone();
        Effect::new(move |_| {
            if let Some(kept) = handover::take::<Bulk>("bulk", &org) {
                bulk.set(kept);
            }
        });
    }
    let org = org_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = org.clone();
        bulk.set(Bulk::default());
        leptos::task::spawn_local(async move {
            let todo = match crate::functions::get_suggested_links(org.clone()).await {
                Ok(t) => t,
                Err(e) => return bulk.update(|b| b.error = Some(e.to_string())),
            };
            let total = todo.len();
            bulk.update(|b| b.progress = Some((0, total)));
            let mut done = 0;
            for chunk in todo.chunks(10) {
                match crate::functions::link_users(org.clone(), chunk.to_vec()).await {
                    Ok(results) => bulk.update(|b| {
                        for (req, r) in chunk.iter().zip(results) {
                            let ok = r.outcome == crate::user_links_view::LinkOutcome::Linked;
                            b.results.push((req.label.clone().unwrap_or(r.linear_user_id.clone()), r.outcome.words(), ok));
                        }
                    }),
                    Err(e) => return bulk.update(|b| b.error = Some(e.to_string())),
                }
                done += chunk.len();
                bulk.update(|b| b.progress = Some((done, total)));
            }
            #[cfg(feature = "hydrate")]
            handover::keep_and_reload("bulk", &org, &bulk.get_untracked());
        });
    };
    view! {
        <div class="flex flex-col items-end gap-2">
            {(count > 0).then(|| view! {
                <form method="post" action=LinkSuggested::url() on:submit=on_submit>
                    <input type="hidden" name="org_id" value=org_id/>
                    {view_fields(&query)}
                    <button type="submit" data-testid="link-all-suggested" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                        {format!("Link all suggested ({count})")}
                    </button>
                </form>
            })}
            <BulkReport bulk/>
        </div>
    }
}

/// The state of an in-place *Create platform users and link all*.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Creation {
    progress: Option<(usize, usize)>,
    /// Created, linked to an existing user, refused, failed.
    tally: (usize, usize, usize, usize),
    error: Option<String>,
}

/// *Create platform users and link all (N)*: a plain form POST before the wasm; after it, batches
/// of 10 through `create_platform_users`, counted as they complete; then the page reloads.
#[island]
pub(super) fn BulkCreate(org_id: String, query: UsersQuery, count: usize) -> impl IntoView {
    let run = RwSignal::new(Creation::default());
    #[cfg(feature = "hydrate")]
    {
        let org = org_id.clone();
        Effect::new(move |_| {
            if let Some(kept) = handover::take::<Creation>("create", &org) {
                run.set(kept);
            }
        });
    }
    let org = org_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = org.clone();
        run.set(Creation::default());
        leptos::task::spawn_local(async move {
            let todo = match crate::functions::get_unmatched_members(org.clone()).await {
                Ok(t) => t,
                Err(e) => return run.update(|r| r.error = Some(e.to_string())),
            };
            let total = todo.len();
            run.update(|r| r.progress = Some((0, total)));
            let mut done = 0;
            for chunk in todo.chunks(10) {
                match crate::functions::create_platform_users(org.clone(), chunk.to_vec()).await {
                    Ok((c, e, r, f)) => run.update(|s| s.tally = (s.tally.0 + c, s.tally.1 + e, s.tally.2 + r, s.tally.3 + f)),
                    Err(e) => return run.update(|r| r.error = Some(e.to_string())),
                }
                done += chunk.len();
                run.update(|r| r.progress = Some((done, total)));
            }
            #[cfg(feature = "hydrate")]
            handover::keep_and_reload("create", &org, &run.get_untracked());
        });
    };
    view! {
        <div class="flex flex-col items-end gap-2">
            {(count > 0).then(|| view! {
                <form method="post" action=CreateUnmatched::url() on:submit=on_submit>
                    <input type="hidden" name="org_id" value=org_id/>
                    {view_fields(&query)}
                    <button type="submit" data-testid="create-all" class="rounded-md border border-indigo-600 px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950">
                        {format!("Create platform users and link all ({count})")}
                    </button>
                </form>
            })}
            {move || {
                let r = run.get();
                (r.progress.is_some() || r.error.is_some()).then(|| view! {
                    <section data-testid="create-progress" class="w-96 max-w-full rounded-lg border border-indigo-200 bg-white p-3 text-sm dark:border-indigo-900 dark:bg-slate-900">
                        {r.progress.map(|(done, total)| view! {
                            <progress class="w-full" max=total.to_string() value=done.to_string()></progress>
                            <span data-testid="create-progress-text">{format!(
                                "{done} of {total} done · {} created · {} linked to an existing user · {} refused · {} failed",
                                r.tally.0, r.tally.1, r.tally.2, r.tally.3
                            )}</span>
                        })}
                        {r.error.map(|e| view! { <p role="alert" class="text-red-700 dark:text-red-300">{e}</p> })}
                    </section>
                })
            }}
        </div>
    }
}

/// The progress bar and each row's outcome of an in-place *Link all suggested*.
#[component]
fn BulkReport(bulk: RwSignal<Bulk>) -> impl IntoView {
    move || {
        let b = bulk.get();
        (b.progress.is_some() || b.error.is_some()).then(|| view! {
            <section data-testid="bulk-progress" class="w-96 max-w-full rounded-lg border border-indigo-200 bg-white p-3 text-sm dark:border-indigo-900 dark:bg-slate-900">
                {b.progress.map(|(done, total)| view! {
                    <progress class="w-full" max=total.to_string() value=done.to_string()></progress>
                    <span data-testid="bulk-progress-text">{format!("{done} of {total} done")}</span>
                })}
                {b.error.map(|e| view! { <p role="alert" class="text-red-700 dark:text-red-300">{e}</p> })}
                <ul data-testid="bulk-results" class="mt-2 max-h-48 overflow-y-auto text-xs">
                    {b.results.into_iter().map(|(who, words, ok)| view! {
                        <li data-testid="bulk-result" data-ok=ok.to_string() class="py-0.5">{format!("{who}: {words}")}</li>
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// *Reload from Linear*: a plain POST before the wasm; after it (an island), the fetch runs in
/// place while its pages and users are counted as they arrive; then the page reloads with the
/// new list and the count kept.
#[island]
pub(super) fn ReloadForm(org_id: String, query: UsersQuery, fetched_at: Option<String>) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    {
        let org = org_id.clone();
        Effect::new(move |_| {
            if let Some(kept) = handover::take::<String>("reload", &org) {
                status.set(Some(kept));
            }
        });
    }
    let org = org_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = org.clone();
        status.set(Some("Asking Linear for the workspace's users…".into()));
        let poll_org = org.clone();
        let handle = set_interval_with_handle(
            move || {
                let org = poll_org.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(Some((pages, users))) = crate::functions::get_reload_progress(org).await {
                        status.set(Some(format!("Fetched {users} users ({pages} pages) so far…")));
                    }
                });
            },
            std::time::Duration::from_millis(250),
        )
        .ok();
        leptos::task::spawn_local(async move {
            let result = crate::functions::reload_linear_users(org.clone()).await;
            if let Some(h) = handle {
                h.clear();
            }
            match result {
                Ok(n) => {
                    let done = format!("Fetched {n} users from Linear.");
                    status.set(Some(done.clone()));
                    #[cfg(feature = "hydrate")]
                    handover::keep_and_reload("reload", &org, &done);
                }
                Err(e) => status.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="flex flex-col items-end gap-1 text-sm">
            {move || status.get().map(|m| view! { <p role="status" data-testid="reload-progress" class="text-right text-xs">{m}</p> })}
            <form method="post" action=ReloadUsers::url() on:submit=on_submit class="flex items-center gap-2">
                <input type="hidden" name="org_id" value=org_id/>
                {view_fields(&query)}
                <span class="text-xs text-slate-500 dark:text-slate-400" data-testid="fetched-at">
                    {fetched_at.map(|at| format!("Linear users as of {}", crate::relative_time::exact(&at))).unwrap_or_else(|| "Linear users not fetched".into())}
                </span>
                <button type="submit" data-testid="reload" class="rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">"Reload from Linear"</button>
            </form>
        </div>
    }
}
