//! `/settings`: the alert channels and the incident rules, read-only (they come from the
//! console's configuration), with *Send test alert* per channel for admins.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::may;
use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::functions::get_settings;
use crate::identity::Role;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let params = use_query_map();
    let settings = Resource::new(|| (), |_| get_settings());
    let banner = move || {
        let p = params.read();
        let channel = p.get("channel").unwrap_or_default();
        match (p.get("notice").as_deref(), p.get("error").as_deref()) {
            (Some("test_sent"), _) => Some((true, format!("Test alert sent to channel {channel}."))),
            (_, Some("test_failed")) => {
                Some((false, format!("The test alert to channel {channel} failed: see the console's log for why.")))
            }
            (_, Some("no_channel")) => Some((false, "No such channel.".to_owned())),
            _ => None,
        }
    };
    view! {
        <Title text="Settings"/>
        <PageHeader title="Settings" subtitle="Where alerts go and when incidents open: set in the console's configuration, shown here read-only."/>
        {move || banner().map(|(good, text)| view! {
            <p role="status" data-testid="notice" class=if good { "mb-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100" } else { "mb-4 rounded-md bg-red-50 p-3 text-sm text-red-900 dark:bg-red-950 dark:text-red-100" }>{text}</p>
        })}
        <Suspense fallback=|| view! { <Loading what="the settings"/> }>
            {move || settings.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(s) => {
                    let admin = may(Role::Admin);
                    let proxy = s.proxy_without_hops.then(|| view! {
                        <p role="alert" data-testid="proxy-warning" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                            "Requests arrive through a proxy (they carry X-Forwarded-For), but CONSOLE_TRUSTED_PROXY_HOPS is 0: every client shares the proxy's address, so 20 wrong passwords from anyone slow every sign-in and 100 block them all. Set it to the number of proxies in front of the console."
                        </p>
                    });
                    view! {
                        {proxy}
                        <section class="mb-6 rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
                            <h2 class="font-semibold">"Alert channels"</h2>
                            {if s.channels.is_empty() {
                                view! { <p class="mt-2 text-slate-500" data-testid="no-channels">"None: set CONSOLE_ALERT_SNS_TOPIC_ARNS, CONSOLE_ALERT_SLACK_WEBHOOK_URLS or CONSOLE_ALERT_WEBHOOK_URLS."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="mt-2 space-y-2">
                                        {s.channels.into_iter().map(|c| view! {
                                            <li data-testid="channel" class="flex flex-wrap items-center gap-3">
                                                <span class="rounded bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800">{c.kind.clone()}</span>
                                                <code class="font-mono text-xs">{c.target.clone()}</code>
                                                {admin.then(|| view! {
                                                    <form method="post" action="/api/test_alert" class="ml-auto">
                                                        <input type="hidden" name="channel" value=c.index.to_string()/>
                                                        <button type="submit" data-testid="test-alert" class="rounded-md border border-slate-300 px-3 py-1 dark:border-slate-700">"Send test alert"</button>
                                                    </form>
                                                })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <p class="mt-3 text-xs text-slate-500">{if s.webhook_signed {
                                "Webhooks are signed: X-Console-Signature is v1= and the hex HMAC-SHA256 of \"<X-Console-Timestamp>.<body>\"."
                            } else {
                                "Webhooks are not signed (CONSOLE_ALERT_WEBHOOK_SECRET is not set)."
                            }}</p>
                        </section>
                        <dl data-testid="rules" class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Degraded becomes an incident after"</dt><dd class="col-span-2">{format!("{} min", s.degraded_after_minutes)}</dd></div>
                            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Reminder of an unacknowledged incident after"</dt><dd class="col-span-2">{format!("{} min", s.reminder_after_minutes)}</dd></div>
                            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Health sweep"</dt><dd class="col-span-2">{s.sweep_interval_seconds.map(|i| format!("every {i} s")).unwrap_or_else(|| "by schedule (or off)".to_owned())}</dd></div>
                            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Lifecycle events"</dt><dd data-testid="events-to" class="col-span-2">{s.events.clone().unwrap_or_else(|| "off (CONSOLE_EVENT_BUS=off, no webhook subscribed)".to_owned())}</dd></div>
                            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"What the platform drops, read from"</dt><dd data-testid="processor-log" class="col-span-2">{s.processor_log.clone().unwrap_or_else(|| "not known (set PLATFORM_PROCESSOR_LOG_GROUP)".to_owned())}</dd></div>
                        </dl>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
