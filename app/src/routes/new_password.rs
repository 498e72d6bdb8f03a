//! `/login/new-password`: Cognito's NEW_PASSWORD_REQUIRED challenge, answered by a plain form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::login::{AuthCard, Field, SubmitButton};

pub fn new_password_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "mismatch" => "The two passwords differ.",
        "policy" => "Cognito refused that password: use at least 8 characters with upper and lower case letters, a digit and a symbol.",
        "unavailable" => "Sign-in is unavailable right now. Try again in a minute.",
        _ => return None,
    })
}

#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").and_then(|c| new_password_error_message(&c));
    view! {
        <Title text="Choose a new password"/>
        <AuthCard title="Choose a new password">
            <p class="mb-4 text-sm text-slate-600 dark:text-slate-400">
                "Your account was created with a temporary password. Choose your own to finish signing in."
            </p>
            {move || error().map(|m| view! {
                <p role="alert" data-testid="login-error" class="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{m}</p>
            })}
            <form method="post" action="/login/new-password" class="space-y-4">
                <Field label="New password" name="password" kind="password" autocomplete="new-password"/>
                <Field label="Repeat new password" name="confirm" kind="password" autocomplete="new-password"/>
                <SubmitButton label="Set password and sign in"/>
            </form>
        </AuthCard>
    }
}
