//! *Download CSV · JSON* of a page's view, for operators and admins (exports name people).
use leptos::prelude::*;

use crate::components::access::may;
use crate::identity::Role;

/// Links to `<base>.csv?<query>` and `<base>.json?<query>`.
#[component]
pub fn ExportLinks(#[prop(into)] base: String, #[prop(into)] query: String) -> impl IntoView {
    let q = if query.is_empty() { String::new() } else { format!("?{query}") };
    may(Role::Operator).then(|| {
        view! {
            <span data-testid="exports" class="flex items-center gap-2 py-1.5 text-sm">
                <a href=format!("{base}.csv{q}") rel="external" download="" data-testid="export-csv" class="text-indigo-700 underline dark:text-indigo-300">"Download CSV"</a>
                <a href=format!("{base}.json{q}") rel="external" download="" data-testid="export-json" class="text-indigo-700 underline dark:text-indigo-300">"JSON"</a>
            </span>
        }
    })
}
