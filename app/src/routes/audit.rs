//! `/audit`: the console's audit events, newest first, filtered by actor, workspace, action and
//! days (all in the URL), a page at a time, with the filtered view as CSV; *Send again* on a
//! lifecycle event its bus or webhook refused.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::Can;
use crate::components::status::{ErrorNotice, Loading, NoticeBanner, PageHeader};
use crate::functions::{get_settings, search_audit, SendEventAgain};
use crate::identity::Role;
use crate::outcomes::{AuditNotice, Notice};
use crate::relative_time::When;
use crate::wire::AuditQuery;

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let query = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        AuditQuery {
            actor: get("actor"),
            workspace: get("workspace"),
            action: get("action"),
            from: get("from"),
            to: get("to"),
            before: get("before"),
        }
    };
    let after = move || crate::outcomes::after_change(&params.read());
    let events = Resource::new(move || (query(), after()), |(q, a)| search_audit(q, a));
    let settings = Resource::new(|| (), |_| get_settings());
    let resend = ServerAction::<SendEventAgain>::new();
    let banner = move || {
        let q = params.read();
        AuditNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let field = "rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900";
    view! {
        <Title text="Audit"/>
        <PageHeader title="Audit log" subtitle="Every sign-in and change made through this console, newest first."/>
        {move || banner().map(|n| view! { <NoticeBanner good=n.good() text=n.text()/> })}
        <Suspense fallback=|| ()>
            {move || settings.get().and_then(Result::ok).map(|s| match s.audit_log {
                Some(to) => view! {
                    <p data-testid="audit-stream" class="mb-4 text-sm text-slate-600 dark:text-slate-400">
                        {format!("Each event is also written to CloudWatch Logs, {to}, one JSON line with these fields, for your security team's tools to subscribe to.")}
                    </p>
                }.into_any(),
                None => view! {
                    <p data-testid="audit-stream" class="mb-4 text-sm text-slate-600 dark:text-slate-400">
                        "Kept in the console's table only: set CONSOLE_AUDIT_LOG_GROUP to also write each event to CloudWatch Logs."
                    </p>
                }.into_any(),
            })}
        </Suspense>
        {move || {
            let q = query();
            let csv = format!("/audit.csv?{}", q.to_query());
            view! {
                <form method="get" action="/audit" data-testid="audit-filters" class="mb-4 flex flex-wrap items-end gap-3 text-sm">
                    <label class="flex flex-col">"Actor"<input name="actor" value=q.actor.clone() placeholder="email or sub" class=field/></label>
                    <label class="flex flex-col">"Workspace (org id)"<input name="workspace" value=q.workspace.clone() class=field/></label>
                    <label class="flex flex-col">"Action"<input name="action" value=q.action.clone() placeholder="workspace." data-testid="audit-action" class=field/></label>
                    <label class="flex flex-col">"From (UTC day)"<input name="from" type="date" value=q.from.clone() class=field/></label>
                    <label class="flex flex-col">"To"<input name="to" type="date" value=q.to.clone() class=field/></label>
                    <button type="submit" data-testid="audit-apply" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
                    <a href="/audit" class="py-1.5 text-slate-500 underline">"Clear"</a>
                    // The log names people: viewers read it here but do not export it.
                    <Can role=Role::Operator>
                        <a href=csv.clone() rel="external" download="" data-testid="audit-csv" class="ml-auto py-1.5 text-indigo-700 underline dark:text-indigo-300">"Download CSV"</a>
                    </Can>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <Loading what="audit events"/> }>
            {move || events.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(page) => {
                    let older = page.next.clone().map(|cursor| {
                        let q = query();
                        let base = q.to_query();
                        let enc = crate::url::enc(&cursor);
                        format!("/audit?{base}{}before={enc}", if base.is_empty() { "" } else { "&" })
                    });
                    view! {
                        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
                                    <tr>
                                        <th class="px-4 py-2">"Time (UTC)"</th>
                                        <th class="px-4 py-2">"Actor"</th>
                                        <th class="px-4 py-2">"Action"</th>
                                        <th class="px-4 py-2">"Target"</th>
                                        <th class="px-4 py-2">"Outcome"</th>
                                        <th class="px-4 py-2">"Detail"</th>
                                        <th class="px-4 py-2">"Request id"</th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                                    {page.entries.into_iter().map(|e| {
                                        let undelivered = e.action == "event.undelivered";
                                        view! {
                                        <tr data-testid="audit-row">
                                            <td class="whitespace-nowrap px-4 py-2 text-xs"><When at=e.at/></td>
                                            <td class="px-4 py-2">{e.actor_email.or(e.actor_sub).unwrap_or_else(|| "—".into())}</td>
                                            <td class="px-4 py-2 font-medium">{e.action}</td>
                                            <td class="px-4 py-2">{e.target.unwrap_or_default()}</td>
                                            <td class="px-4 py-2">{e.outcome}</td>
                                            <td class="px-4 py-2 text-slate-600 dark:text-slate-400">
                                                {e.detail.unwrap_or_default()}
                                                {undelivered.then(|| match e.resent {
                                                    Some(note) => view! { <p data-testid="event-resent" class="mt-1 text-xs font-medium">{format!("Sent again {note}.")}</p> }.into_any(),
                                                    None => {
                                                        let key = e.key.clone();
                                                        view! { <Can role=Role::Operator><SendAgain key=key.clone() resend/></Can> }.into_any()
                                                    }
                                                })}
                                            </td>
                                            <td class="px-4 py-2 font-mono text-xs">{e.request_id.unwrap_or_default()}</td>
                                        </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {older.map(|href| view! {
                            <p class="mt-4 text-sm"><a href=href data-testid="audit-older" class="text-indigo-700 underline dark:text-indigo-300">"Older events →"</a></p>
                        })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// *Send again* on an undelivered lifecycle event's row (a plain post before the wasm loads).
#[component]
fn SendAgain(key: String, resend: ServerAction<SendEventAgain>) -> impl IntoView {
    view! {
        <ActionForm action=resend attr:class="mt-1">
            <input type="hidden" name="key" value=key/>
            <button type="submit" data-testid="send-again" class="rounded-md border border-slate-300 px-2 py-0.5 text-xs dark:border-slate-700">"Send again"</button>
        </ActionForm>
    }
}
