//! `/profile`: the signed-in member's role and second factor. Enrolling an authenticator app
//! takes the password again (Cognito wants a fresh sign-in for it), shows the secret as a QR code
//! drawn on the server and as text, then asks for the app's first code. Below, the member's live
//! sessions, each with *Sign out*, and *Sign out everywhere else*. Plain forms throughout.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::sessions::{ConfirmPost, SessionList, SessionsNotice};
use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::functions::{my_profile, my_sessions};
use crate::wire::{Enrolment, Profile};

fn message(key: &str, code: &str) -> Option<(bool, &'static str)> {
    Some(match (key, code) {
        ("notice", "mfa-on") => (true, "Your authenticator app is now your second factor: sign-in will ask for its code."),
        ("notice", "codes-saved") => (true, "Your recovery codes will not be shown again."),
        ("notice", "mfa-already") => (true, "Your account already has an authenticator app as its second factor."),
        ("enrol", "required") => {
            (false, "Admins of this console must sign in with a second factor: set up an authenticator app to continue.")
        }
        ("error", "password") => (false, "That password is not right (or too many tries: wait a moment)."),
        ("error", "code") => (false, "That code does not match: enter the one your app shows now."),
        ("error", "shape") => (false, "The code is the 6 digits your app shows."),
        ("error", "expired") => (false, "The set-up took too long and was dropped. Start again."),
        ("error", "unavailable") => (false, "Cognito is unavailable right now. Try again in a minute."),
        _ => return None,
    })
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let query = use_query_map();
    let profile = Resource::new(|| (), |_| my_profile());
    let sessions = Resource::new(|| (), |_| my_sessions());
    let banner = move || {
        let q = query.read();
        ["error", "notice", "enrol"].into_iter().find_map(|k| q.get(k).and_then(|c| message(k, &c)))
    };
    view! {
        <Title text="Profile"/>
        <PageHeader title="Profile" subtitle="Your role in the console and your second factor."/>
        {move || banner().map(|(good, text)| view! {
            <p role="status" data-testid="notice" data-good=good.to_string()
                class=if good { "mb-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100" }
                      else { "mb-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100" }>
                {text}
            </p>
        })}
        <Suspense fallback=|| view! { <Loading what="your profile"/> }>
            {move || profile.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(p) => view! { <ProfileView p/> }.into_any(),
            })}
        </Suspense>
        <section id="sessions" class="mt-8">
            <h2 class="mb-1 font-semibold">"Your sessions"</h2>
            <p class="mb-3 text-sm text-slate-500 dark:text-slate-400">"Where you are signed in to this console. Signing a session out ends it on every console instance within seconds."</p>
            <SessionsNotice/>
            <Suspense fallback=|| view! { <Loading what="your sessions"/> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) => {
                        let others = list.iter().filter(|s| !s.current).count();
                        view! {
                            <SessionList sessions=list action="/api/end_my_session"/>
                            {(others > 0).then(|| view! {
                                <ConfirmPost opener="Sign out everywhere else…" confirm="Sign out everywhere else" testid="end-other-sessions"
                                    action="/api/end_my_other_sessions"
                                    message=format!("Your {others} other session(s) will end; this one stays signed in.")/>
                            })}
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ProfileView(p: Profile) -> impl IntoView {
    let whose = match p.factor_kind.as_str() {
        "console" => " Kept by this console (the user pool's own MFA is off).",
        "cognito" => " Kept by the Cognito user pool.",
        _ => "",
    };
    let factor = match p.mfa_enabled {
        Some(true) => format!("An authenticator app (time-based codes).{whose}"),
        Some(false) => "None: sign-in asks for your password only.".to_owned(),
        None => "Unknown right now (Cognito did not answer).".to_owned(),
    };
    let recovery_left = p.recovery_left;
    let codes = p.recovery_codes.clone();
    let offer_setup = p.mfa_enabled != Some(true) && p.enrolment.is_none();
    view! {
        <dl data-testid="profile" class="mb-6 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Email"</dt><dd class="col-span-2">{p.email.clone()}</dd></div>
            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Role"</dt><dd class="col-span-2" data-testid="profile-role">{p.role.label()}</dd></div>
            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Second factor"</dt><dd class="col-span-2" data-testid="mfa-state" data-kind=p.factor_kind.clone() data-enabled=p.mfa_enabled.map(|b| b.to_string()).unwrap_or_default()>{factor}</dd></div>
            {recovery_left.map(|n| view! {
                <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"Recovery codes"</dt><dd class="col-span-2" data-testid="recovery-left">{format!("{n} unused")}</dd></div>
            })}
            <div class="grid grid-cols-3 gap-4 px-4 py-2"><dt class="text-slate-500">"This sign-in"</dt><dd class="col-span-2">{if p.signed_in_with_code { "with an authenticator code" } else { "with a password" }}</dd></div>
        </dl>
        {(!codes.is_empty()).then(|| view! {
            <section data-testid="recovery-codes" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950">
                <h2 class="font-semibold">"Your recovery codes"</h2>
                <p class="mt-1">"Keep these somewhere safe, away from your phone: each signs you in once without your authenticator app. They are shown until you say you saved them (ten minutes at most), never again."</p>
                <ul class="mt-3 grid grid-cols-2 gap-1 font-mono sm:grid-cols-5">
                    {codes.into_iter().map(|c| view! { <li data-testid="recovery-code">{c}</li> }).collect_view()}
                </ul>
                <form method="post" action="/profile/mfa/saved" class="mt-3">
                    <button type="submit" data-testid="codes-saved" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"I have saved them"</button>
                </form>
            </section>
        })}
        {p.enrolment.map(|e| view! { <EnrolmentPanel e/> })}
        {offer_setup.then(|| view! {
            <section data-testid="mfa-setup" class="rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
                <h2 class="font-semibold">"Set up an authenticator app"</h2>
                <p class="mt-1">"Confirm your password to start. You will scan a QR code with an app such as 1Password, Google Authenticator or Authy, then enter the code it shows."</p>
                <form method="post" action="/profile/mfa/start" class="mt-3 flex flex-wrap items-end gap-2">
                    <label class="flex flex-col">"Password"
                        <input type="password" name="password" required=true autocomplete="current-password"
                            class="w-64 rounded-md border border-slate-300 px-3 py-1.5 dark:border-slate-700 dark:bg-slate-900"/>
                    </label>
                    <button type="submit" data-testid="mfa-start" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Set up"</button>
                </form>
            </section>
        })}
    }
}

#[component]
fn EnrolmentPanel(e: Enrolment) -> impl IntoView {
    view! {
        <section data-testid="mfa-enrolment" class="rounded-lg border border-indigo-200 bg-white p-4 text-sm dark:border-indigo-900 dark:bg-slate-900">
            <h2 class="font-semibold">"Scan this code with your authenticator app"</h2>
            <img data-testid="mfa-qr" src=e.qr alt="QR code of your authenticator secret" width="200" height="200" class="mt-3 rounded bg-white p-2"/>
            <p class="mt-3">"Or type this secret into the app:"</p>
            <code data-testid="mfa-secret" class="mt-1 block break-all rounded bg-slate-100 px-3 py-2 font-mono dark:bg-slate-800">{e.secret}</code>
            <form method="post" action="/profile/mfa/verify" class="mt-4 flex flex-wrap items-end gap-2">
                <label class="flex flex-col">"Code from the app"
                    <input type="text" name="code" required=true inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code"
                        class="w-40 rounded-md border border-slate-300 px-3 py-1.5 font-mono tracking-widest dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <button type="submit" data-testid="mfa-verify" class="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500">"Verify"</button>
            </form>
        </section>
    }
}
