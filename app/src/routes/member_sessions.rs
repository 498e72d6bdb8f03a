//! `/users/<sub>/sessions`: an admin's view of one member's live sessions, each with *Sign out*,
//! and *Sign out everywhere* (after a confirmation). Ending one takes effect on every console
//! instance within the session cache's seconds. Below, *Reset second factor…* (the console's own
//! authenticator, where the pool's MFA is off). Plain forms.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::sessions::{ConfirmPost, SessionList, SessionsNotice};
use crate::components::status::{ErrorNotice, Loading, NoticeBanner, PageHeader};
use crate::functions::member_sessions;

#[component]
pub fn MemberSessionsPage() -> impl IntoView {
    let params = use_params_map();
    let sub = move || params.read().get("sub").unwrap_or_default();
    let view_of = Resource::new(sub, member_sessions);
    let query = use_query_map();
    let factor_notice = move || match (query.read().get("factor").as_deref(), query.read().get("error").as_deref()) {
        (Some("reset"), _) => {
            Some((true, "Second factor reset: they set up an authenticator again (admins at their next sign-in, when one is required)."))
        }
        (Some("none"), _) => Some((true, "They had no authenticator of the console's to reset (one kept by Cognito is reset in Cognito).")),
        (_, Some("factor-unavailable")) => Some((false, "The console's table could not be reached: nothing was reset. Try again.")),
        _ => None,
    };
    view! {
        <Title text="Sessions"/>
        <PageHeader title="Sessions" subtitle="Where this member is signed in to the console."/>
        <p class="mb-4 text-sm"><a href="/users" class="underline">"← Platform users"</a></p>
        <SessionsNotice/>
        <Suspense fallback=|| view! { <Loading what="their sessions"/> }>
            {move || view_of.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(v) => {
                    let count = v.sessions.len();
                    let hidden = vec![("sub", v.sub.clone())];
                    view! {
                        <h2 data-testid="sessions-of" class="mb-2 font-semibold">{v.email.clone()}</h2>
                        <div id="sessions">
                            <SessionList sessions=v.sessions action="/api/end_member_session" hidden/>
                        </div>
                        {(count > 0).then(|| view! {
                            <ConfirmPost opener="Sign out everywhere…" confirm="Sign out everywhere" testid="end-all-sessions"
                                action="/api/end_member_sessions" hidden=vec![("sub", v.sub.clone())]
                                message=format!("All {count} session(s) of {} will end; they will have to sign in again.", v.email)/>
                        })}
                        <section id="factor" class="mt-8 text-sm">
                            <h2 class="mb-2 font-semibold">"Second factor"</h2>
                            {move || factor_notice().map(|(good, text)| view! { <NoticeBanner good text/> })}
                            <ConfirmPost opener="Reset second factor…" confirm="Reset second factor" testid="reset-factor"
                                action="/api/reset_second_factor" hidden=vec![("sub", v.sub.clone())]
                                message=format!("{}'s authenticator app will no longer sign them in; they set one up again. Their recovery codes stop working.", v.email)/>
                        </section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
