//! `/workspaces/<org id>/users`: every Linear member of a workspace and its link to a platform
//! user: link a suggestion, pick someone, change, unlink, invite, link all suggested with a
//! progress display, reload from Linear. Every form posts to the server and works before the
//! wasm has loaded; once it has, bulk linking and reloading report progress in place.
//!
//! `table` lists the members and their actions, `invites` the pending codes, `picker` the pool's
//! users to link, `islands` the two in-place runs (*Link all suggested*, *Reload from Linear*).
mod invites;
mod islands;
mod picker;
mod table;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::status::{ErrorNotice, Loading, NoticeBanner};
use crate::errors::AppError;
use crate::functions::{get_workspace_users, search_platform_users, CreatePlatformUser, InviteUser, LinkUser, RevokeInvite, UnlinkUser};
use crate::outcomes::{LinkNotice, Notice};
use crate::user_links_view::{LinkState, UsersQuery};
use picker::Picker;
use table::Users;

fn state_class(state: LinkState) -> &'static str {
    match state {
        LinkState::Linked => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
        LinkState::Suggested => "bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200",
        LinkState::Invited => "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-200",
        LinkState::Stale | LinkState::InviteExpired => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
        LinkState::Unlinked | LinkState::NotLinkable => "bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200",
    }
}

const BUTTON: &str =
    "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str = "rounded-md bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500";

#[component]
pub fn WorkspaceUsersPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let users_query = move || UsersQuery::from_params(&query.read());
    provide_context(Forms::new());
    let after = move || crate::outcomes::after_change(&query.read());
    let users = Resource::new(
        move || (org_id(), users_query(), after()),
        |(org, q, a)| {
            let q = q.map_err(AppError::bad_view);
            async move { get_workspace_users(org, q?, a).await }
        },
    );
    let pick = move || query.read().get("pick").filter(|p| !p.is_empty());
    let picker_query = move || pick().map(|_| (query.read().get("email").unwrap_or_default(), query.read().get("after")));
    let picker = Resource::new(picker_query, |q| async move {
        match q {
            Some((prefix, after)) => search_platform_users(prefix, after, false).await.map(Some),
            None => Ok(None),
        }
    });
    let banner = move || {
        let q = query.read();
        LinkNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let created_counts = move || {
        let q = query.read();
        (q.get("notice").as_deref() == Some(LinkNotice::CreatedAll.code())).then(|| {
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            format!(
                "{} created · {} linked to an existing user · {} refused · {} failed",
                n("created"),
                n("existing"),
                n("refused"),
                n("failed")
            )
        })
    };
    let bulk_counts = move || {
        let q = query.read();
        (q.get("notice").as_deref() == Some(LinkNotice::Bulk.code())).then(|| {
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            format!(
                "{} linked · {} already linked by someone else · {} refused · {} failed",
                n("linked"),
                n("conflicts"),
                n("refused"),
                n("failed")
            )
        })
    };
    let who = move || query.read().get("who");
    let invited = move || query.read().get("notice").as_deref() == Some(LinkNotice::Invited.code());
    view! {
        <Title text="Users and links"/>
        <p class="mb-2 text-sm">
            <a class="text-indigo-700 hover:underline dark:text-indigo-300" href=move || format!("/workspaces/{}", org_id())>"← Workspace"</a>
        </p>
        {move || banner().map(|n| view! {
            <NoticeBanner good=n.good() text=n.text()>
                {bulk_counts().or_else(created_counts).map(|c| view! { <span class="block font-medium" data-testid="bulk-counts">{c}</span> })}
            </NoticeBanner>
        })}
        <Transition fallback=|| view! { <Loading what="the workspace's users"/> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(w) => {
                    let just_invited = if invited() { who() } else { None };
                    view! {
                        <Users w=w query=users_query().unwrap_or_default() just_invited=just_invited/>
                    }.into_any()
                }
            })}
        </Transition>
        <Suspense fallback=|| ()>
            {move || match (pick(), picker.get()) {
                (Some(linear_user_id), Some(Ok(Some(page)))) => view! {
                    <Picker org_id=org_id() linear_user_id query=users_query().unwrap_or_default() prefix=query.read().get("email").unwrap_or_default()
                        replace=query.read().get("replace").unwrap_or_default() page/>
                }.into_any(),
                (Some(_), Some(Err(e))) => view! { <ErrorNotice error=e/> }.into_any(),
                _ => ().into_any(),
            }}
        </Suspense>
    }
}

/// The page's change forms' actions, shared by every row (one action per kind, not per row).
#[derive(Clone, Copy)]
struct Forms {
    link: ServerAction<LinkUser>,
    create: ServerAction<CreatePlatformUser>,
    unlink: ServerAction<UnlinkUser>,
    invite: ServerAction<InviteUser>,
    revoke: ServerAction<RevokeInvite>,
}

impl Forms {
    fn new() -> Forms {
        Forms {
            link: ServerAction::new(),
            create: ServerAction::new(),
            unlink: ServerAction::new(),
            invite: ServerAction::new(),
            revoke: ServerAction::new(),
        }
    }

    fn of_page() -> Forms {
        use_context::<Forms>().unwrap_or_else(Forms::new)
    }
}

/// The hidden fields that bring a form's redirect back to this view (a state only when one is
/// chosen: the server reads the field as a state).
fn view_fields(q: &UsersQuery) -> impl IntoView {
    view! {
        <input type="hidden" name="q" value=q.q.clone()/>
        {q.state.map(|s| view! { <input type="hidden" name="state" value=s.code()/> })}
        <input type="hidden" name="page" value=(q.page + 1).to_string()/>
    }
}
