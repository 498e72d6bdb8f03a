//! `/login`: email and password, posted as a plain form to the server's sign-in route.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for an `?error=` code the sign-in route redirects with.
pub fn login_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid" => "Incorrect email or password.",
        "expired" => "Your sign-in took too long. Start again.",
        "unavailable" => "Sign-in is unavailable right now. Try again in a minute.",
        "cross-site" => "That request did not come from this console and was refused.",
        "signed-out" => "You are signed out.",
        _ => return None,
    })
}

/// The longest `next` kept; a longer one is not a page of this console.
const NEXT_MAX: usize = 512;

/// Only a path of this console may be a `next` target: no open redirect. Checking the start is not
/// enough (browsers drop tabs and newlines, so `/\t/evil.example` becomes `//evil.example`), so the
/// whole target must be made of the characters our own paths and queries use, start with one `/`
/// followed by a path character, and carry no scheme. Anything else goes to `/workspaces`.
pub fn safe_next(next: Option<String>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/?=&%+:@,".contains(c);
    match next {
        Some(n)
            if n.len() <= NEXT_MAX
                && n.chars().all(allowed)
                && n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains("://")
                && !["%2f%2f", "%5c", "%09", "%0a", "%0d"].iter().any(|e| n.to_ascii_lowercase().contains(e)) =>
        {
            n
        }
        _ => "/workspaces".to_owned(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").and_then(|c| login_error_message(&c));
    let next = move || safe_next(query.read().get("next"));
    view! {
        <Title text="Sign in"/>
        <AuthCard title="Sign in to the Linear console">
            {move || error().map(|m| view! {
                <p role="alert" data-testid="login-error" class="mb-4 rounded-md bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">{m}</p>
            })}
            <form method="post" action="/login" class="space-y-4">
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" autocomplete="username"/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password"/>
                <SubmitButton label="Sign in"/>
            </form>
            <p class="mt-6 text-xs text-slate-500 dark:text-slate-400">
                "Access is limited to members of the console's Cognito groups (admin, operator, viewer)."
            </p>
        </AuthCard>
    }
}

#[component]
pub fn AuthCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="flex min-h-screen items-center justify-center px-4">
            <div class="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                <div class="mb-6 flex items-center gap-2">
                    <span class="inline-block h-6 w-6 rounded-md bg-indigo-600"></span>
                    <h1 class="text-lg font-semibold">{title}</h1>
                </div>
                {children()}
            </div>
        </main>
    }
}

#[component]
pub fn Field(label: &'static str, name: &'static str, kind: &'static str, autocomplete: &'static str) -> impl IntoView {
    view! {
        <label class="block text-sm font-medium">
            {label}
            <input
                type=kind
                name=name
                required=true
                autocomplete=autocomplete
                class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-950"
            />
        </label>
    }
}

#[component]
pub fn SubmitButton(label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2">
            {label}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(safe_next(Some("/audit?x=1".into())), "/audit?x=1");
        assert_eq!(safe_next(Some("//evil.example".into())), "/workspaces");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/workspaces");
        assert_eq!(safe_next(Some("https://evil.example/".into())), "/workspaces");
        assert_eq!(safe_next(Some("/x?u=https://e".into())), "/workspaces");
        assert_eq!(safe_next(None), "/workspaces");
    }

    #[test]
    fn next_refuses_what_a_browser_would_turn_into_another_site() {
        for evil in ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil", "/ /evil", "/%09/evil.example", "/%2F%2Fevil", "/%5Cevil"] {
            assert_eq!(safe_next(Some(evil.into())), "/workspaces", "{evil:?}");
        }
        assert_eq!(safe_next(Some(format!("/audit?q={}", "a".repeat(600)))), "/workspaces");
        assert_eq!(safe_next(Some("/workspaces/9cfb4d1e-0000/users?q=ann&page=2".into())), "/workspaces/9cfb4d1e-0000/users?q=ann&page=2");
        assert_eq!(
            safe_next(Some("/audit?from=2026-11-01&action=workspace.install".into())),
            "/audit?from=2026-11-01&action=workspace.install"
        );
    }

    #[test]
    fn unknown_error_codes_show_nothing() {
        assert!(login_error_message("invalid").is_some());
        assert!(login_error_message("<script>").is_none());
    }
}
