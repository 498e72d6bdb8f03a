//! A member's live sessions, for themselves (`/profile`) or for an admin (`/users/<sub>/sessions`):
//! each with its browser, address and times, and *Sign out* (a plain form post); the session the
//! page was asked from is marked instead. The banner after a sign-out says how it went.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::status::NoticeBanner;
use crate::relative_time::When;
use crate::wire::SessionView;

/// The banner after ending sessions (`sessions=ended[&count=N]`, `sessions=gone`,
/// `error=sessions-unavailable`), if the URL has one.
#[component]
pub fn SessionsNotice() -> impl IntoView {
    let query = use_query_map();
    move || {
        let q = query.read();
        let count = q.get("count");
        match (q.get("sessions").as_deref(), q.get("error").as_deref()) {
            (Some("ended"), _) => {
                let text = match count.as_deref() {
                    None => "Signed out: that session has ended.",
                    Some("0") => "There was no other session to sign out.",
                    Some(_) => "Signed out: those sessions have ended.",
                };
                Some(view! { <NoticeBanner good=true text>{count.map(|n| view! { <span data-testid="ended-count" class="sr-only">{n}</span> })}</NoticeBanner> }.into_any())
            }
            (Some("gone"), _) => Some(view! { <NoticeBanner good=true text="That session had already ended."/> }.into_any()),
            (_, Some("sessions-unavailable")) => Some(
                view! { <NoticeBanner good=false text="The sessions table could not be reached: nothing may have changed. Try again."/> }
                    .into_any(),
            ),
            _ => None,
        }
    }
}

/// The list. `action` is the server function ending one session; `hidden` its other fields.
#[component]
pub fn SessionList(
    sessions: Vec<SessionView>,
    action: &'static str,
    #[prop(optional)] hidden: Vec<(&'static str, String)>,
) -> impl IntoView {
    if sessions.is_empty() {
        return view! { <p data-testid="no-sessions" class="p-4 text-sm text-slate-500">"No live session."</p> }.into_any();
    }
    view! {
        <ul data-testid="sessions" class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            {sessions.into_iter().map(|s| {
                let hidden = hidden.clone();
                view! {
                    <li data-testid="session" data-current=s.current.to_string() class="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
                        <div>
                            <p class="font-medium">{s.browser.clone()}" · "<span class="font-mono text-xs">{s.address.clone()}</span></p>
                            <p class="flex flex-wrap gap-x-3 text-xs text-slate-500 dark:text-slate-400">
                                <span>"signed in " <When at=s.started_at.clone() class="inline"/></span>
                                <span>"last active " <When at=s.seen_at.clone() class="inline"/></span>
                                <span>"ends " <When at=s.ends_at.clone() class="inline"/></span>
                            </p>
                        </div>
                        {if s.current {
                            view! { <span data-testid="this-session" class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">"This session"</span> }.into_any()
                        } else {
                            view! {
                                <form method="post" action=action>
                                    {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                                    <input type="hidden" name="handle" value=s.handle.clone()/>
                                    <button type="submit" data-testid="end-session" class="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800">"Sign out"</button>
                                </form>
                            }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }.into_any()
}

/// A destructive action behind a confirmation: `opener` opens it, `message` says what will happen,
/// `confirm` posts `action` (a plain form) with `hidden`. Test ids: `testid` and `confirm-<testid>`.
#[component]
pub fn ConfirmPost(
    opener: &'static str,
    confirm: &'static str,
    testid: &'static str,
    action: &'static str,
    message: String,
    #[prop(optional)] hidden: Vec<(&'static str, String)>,
) -> impl IntoView {
    view! {
        <details class="mt-3 text-sm">
            <summary data-testid=testid class="inline-block cursor-pointer list-none rounded-md border border-slate-300 px-3 py-1.5 font-medium dark:border-slate-700">{opener}</summary>
            <form method="post" action=action class="mt-2 flex flex-wrap items-center gap-2">
                {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <span>{message}</span>
                <button type="submit" data-testid=format!("confirm-{testid}") class="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white">{confirm}</button>
            </form>
        </details>
    }
}
