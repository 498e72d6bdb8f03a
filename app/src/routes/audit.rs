//! `/audit`: the console's audit events, newest first.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::functions::recent_audit;

#[component]
pub fn AuditPage() -> impl IntoView {
    let events = Resource::new(|| (), |_| recent_audit());
    view! {
        <Title text="Audit"/>
        <PageHeader title="Audit log" subtitle="Every sign-in and change made through this console, newest first."/>
        <Suspense fallback=|| view! { <Loading what="audit events"/> }>
            {move || events.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(list) => view! {
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
                                {list.into_iter().map(|e| view! {
                                    <tr data-testid="audit-row">
                                        <td class="whitespace-nowrap px-4 py-2 font-mono text-xs">{e.at}</td>
                                        <td class="px-4 py-2">{e.actor_email.or(e.actor_sub).unwrap_or_else(|| "—".into())}</td>
                                        <td class="px-4 py-2 font-medium">{e.action}</td>
                                        <td class="px-4 py-2">{e.target.unwrap_or_default()}</td>
                                        <td class="px-4 py-2">{e.outcome}</td>
                                        <td class="px-4 py-2 text-slate-600 dark:text-slate-400">{e.detail.unwrap_or_default()}</td>
                                        <td class="px-4 py-2 font-mono text-xs">{e.request_id.unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}
