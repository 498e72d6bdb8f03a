//! The frame every list page shares: a table with its column heads (scrolling sideways inside its
//! frame when it must), and the links to a view's previous and next page.
use leptos::prelude::*;

/// A table of `children` rows under `heads` (an empty head is a column of row selectors, named
/// for screen readers).
#[component]
pub fn Table(heads: Vec<&'static str>, children: Children) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
                    <tr>
                        {heads.into_iter().map(|h| view! {
                            <th class="px-3 py-2">{if h.is_empty() { view! { <span class="sr-only">"Select"</span> }.into_any() } else { h.into_any() }}</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">{children()}</tbody>
            </table>
        </div>
    }
}

/// Where a paged view is, with links to its previous and next page.
#[component]
pub fn PageNav(prev: Option<String>, next: Option<String>, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm">
            <span data-testid="page-label" class="text-slate-500">{label}</span>
            {prev.map(|h| view! { <a href=h class="underline">"← Previous"</a> })}
            {next.map(|h| view! { <a href=h data-testid="next-page" class="underline">"Next →"</a> })}
        </nav>
    }
}
