//! `/incidents`: open incidents first, then those resolved in the last 30 days, filtered by
//! workspace, kind and state in the URL; *Acknowledge* (with a note) and *Snooze* on each open one,
//! and how each alert was delivered. Plain forms: they work before the wasm loads.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::may;
use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::errors::AppError;
use crate::functions::list_incidents;
use crate::identity::Role;
use crate::relative_time::When;
use crate::wire::{IncidentKind, IncidentQuery, IncidentState, IncidentView};

fn message(key: &str, code: &str) -> Option<(bool, &'static str)> {
    Some(match (key, code) {
        ("notice", "acknowledged") => (true, "Acknowledged: no reminder will be sent for it."),
        ("notice", "snoozed") => (true, "Snoozed: no reminder while the snooze lasts."),
        ("error", "not_open") => (false, "That incident is no longer open (resolved meanwhile)."),
        ("error", "unavailable") => (false, "The incidents table is unavailable right now; nothing changed."),
        _ => return None,
    })
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let params = use_query_map();
    let query = move || IncidentQuery::from_params(&params.read());
    let after = move || crate::outcomes::after_change(&params.read());
    let list = Resource::new(
        move || (query(), after()),
        |(q, a)| {
            let q = q.map_err(AppError::bad_view);
            async move { list_incidents(q?, a).await }
        },
    );
    let banner = move || {
        let p = params.read();
        ["notice", "error"].into_iter().find_map(|k| p.get(k).and_then(|c| message(k, &c)))
    };
    let field = "rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900";
    view! {
        <Title text="Incidents"/>
        <PageHeader title="Incidents" subtitle="Workspaces that needed someone: opened by checks and the sweep, resolved by a healthy check."/>
        {move || banner().map(|(good, text)| view! {
            <p role="status" data-testid="notice"
                class=if good { "mb-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100" }
                      else { "mb-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100" }>{text}</p>
        })}
        {move || {
            let q = query().unwrap_or_default();
            view! {
                <form method="get" action="/incidents" data-testid="incident-filters" class="mb-4 flex flex-wrap items-end gap-3 text-sm">
                    <label class="flex flex-col">"Workspace (slug or org id)"<input name="workspace" value=q.workspace.clone() class=field/></label>
                    <label class="flex flex-col">"Kind"
                        <select name="kind" class=field>
                            <option value="">"any"</option>
                            {IncidentKind::ALL.iter().copied().map(|k| view! { <option value=k.code() selected=q.kind == Some(k)>{k.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex flex-col">"State"
                        <select name="state" class=field>
                            <option value="">"any"</option>
                            {IncidentState::ALL.iter().copied().map(|s| view! { <option value=s.code() selected=q.state == Some(s)>{s.code()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
                    <a href="/incidents" class="py-1.5 text-slate-500 underline">"Clear"</a>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <Loading what="incidents"/> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p data-testid="no-incidents" class="text-sm text-slate-500">"No incident in this view."</p> }.into_any(),
                Ok(list) => {
                    let act = may(Role::Operator);
                    view! {
                        <ul class="space-y-3">{list.into_iter().map(|i| view! { <IncidentCard i act/> }).collect_view()}</ul>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn IncidentCard(i: IncidentView, act: bool) -> impl IntoView {
    let who = i.slug.clone().or(i.name.clone()).unwrap_or_else(|| i.org_id.clone());
    let state_class = match i.state {
        IncidentState::Open => "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200",
        IncidentState::Acknowledged => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
        IncidentState::Resolved => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
    };
    let open = i.state != IncidentState::Resolved;
    let (org, kind) = (i.org_id.clone(), i.kind.code());
    let quiet = i
        .snoozed_until
        .clone()
        .map(|t| view! { <p class="mt-1 text-slate-500">"snoozed until " <When at=t class="inline"/></p> }.into_any())
        .or(i.snoozed_until_resolved.then(|| view! { <p class="mt-1 text-slate-500">"snoozed until resolved"</p> }.into_any()));
    view! {
        <li data-testid="incident" data-kind=i.kind.code() data-state=i.state.code()
            class="rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
            <div class="flex flex-wrap items-center gap-2">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {state_class}")>{i.state.code()}</span>
                <strong>{i.kind.label()}</strong>
                <a class="text-indigo-700 hover:underline dark:text-indigo-300" href=format!("/workspaces/{}", i.org_id)>{who}</a>
                <span class="ml-auto text-xs text-slate-500" data-testid="incident-times">
                    "first seen " <When at=i.first_seen.clone() class="inline"/> " · last seen " <When at=i.last_seen.clone() class="inline"/>
                </span>
            </div>
            <p class="mt-2" data-testid="evidence">{i.evidence.clone()}</p>
            <p class="mt-1 text-slate-500 dark:text-slate-400">{i.kind.action()}</p>
            {i.resolved_at.clone().map(|at| view! { <p class="mt-1 text-emerald-700 dark:text-emerald-300">"Resolved " <When at class="inline"/></p> })}
            {i.acknowledged_by.clone().map(|by| view! { <p class="mt-1" data-testid="acknowledged">{format!("Acknowledged by {by}: {}", i.note.clone().unwrap_or_default())}</p> })}
            {quiet}
            {(!i.deliveries.is_empty()).then(|| view! {
                <ul data-testid="deliveries" class="mt-2 space-y-0.5 text-xs text-slate-600 dark:text-slate-300">
                    {i.deliveries.iter().map(|d| view! {
                        <li data-delivered=d.delivered.to_string()>
                            {format!("{} → {}: {}{}", d.event, d.channel,
                                if d.delivered { "delivered".to_owned() } else { format!("failed ({})", d.error.clone().unwrap_or_default()) },
                                if d.attempts > 1 { format!(" after {} attempts", d.attempts) } else { String::new() })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {(open && act).then(|| {
                let (org2, org3, org4) = (org.clone(), org.clone(), org.clone());
                view! {
                    <div class="mt-3 flex flex-wrap items-end gap-2">
                        <form method="post" action="/api/acknowledge_incident" class="flex items-end gap-2">
                            <input type="hidden" name="org_id" value=org/>
                            <input type="hidden" name="kind" value=kind/>
                            <label class="flex flex-col text-xs">"Note"
                                <input name="note" required=true maxlength="500" placeholder="who is on it, what was done"
                                    class="w-64 rounded-md border border-slate-300 px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"/>
                            </label>
                            <button type="submit" data-testid="acknowledge" class="rounded-md bg-slate-900 px-3 py-1 text-white dark:bg-slate-100 dark:text-slate-900">"Acknowledge"</button>
                        </form>
                        {[("1h", "Snooze 1 h", org2), ("1d", "Snooze 1 day", org3), ("resolved", "Snooze until resolved", org4)].into_iter().map(|(span, label, o)| view! {
                            <form method="post" action="/api/snooze_incident">
                                <input type="hidden" name="org_id" value=o/>
                                <input type="hidden" name="kind" value=kind/>
                                <input type="hidden" name="span" value=span/>
                                <button type="submit" data-testid=format!("snooze-{span}") class="rounded-md border border-slate-300 px-3 py-1 dark:border-slate-700">{label}</button>
                            </form>
                        }).collect_view()}
                    </div>
                }
            })}
        </li>
    }
}
