//! `/login/mfa`: the code of the member's authenticator app (Cognito's SOFTWARE_TOKEN_MFA, or the
//! console's own second factor, which also takes a recovery code), answered by a plain form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::login::{AuthCard, SubmitButton};

pub fn mfa_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "code" => "That code is not the one your authenticator app shows now. Try the current one.",
        "shape" => "The code is the 6 digits your authenticator app shows (or one of your recovery codes, like k3m9x-q2w7p).",
        _ => return None,
    })
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").and_then(|c| mfa_error_message(&c));
    view! {
        <Title text="Authenticator code"/>
        <AuthCard title="Enter your authenticator code">
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-400">
                "Your account signs in with a second factor: enter the 6-digit code your authenticator app shows for the Linear console. Without your app, enter one of your recovery codes (each works once)."
            </p>
            {move || error().map(|m| view! {
                <p role="alert" data-testid="login-error" class="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{m}</p>
            })}
            <form method="post" action="/login/mfa" class="space-y-4">
                <label class="block text-sm font-medium">
                    "Code"
                    <input type="text" name="code" required=true maxlength="11" autocomplete="one-time-code" autocapitalize="off" spellcheck="false"
                        class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono tracking-widest dark:border-slate-700 dark:bg-slate-950"/>
                </label>
                <SubmitButton label="Verify and sign in"/>
            </form>
        </AuthCard>
    }
}
