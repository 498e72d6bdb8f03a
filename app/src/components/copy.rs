//! A small *Copy* button for ids an admin pastes into CLI commands and tickets.
use leptos::prelude::*;

/// Copies `text` to the clipboard and says "Copied". Before the wasm has loaded it does
/// nothing; the text next to it is plain, selectable text.
/// An island: its props travel to the browser in the page (an id and a word, nothing secret).
#[island]
pub fn CopyButton(text: String, what: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            // The promise is not awaited: the write is immediate on a user gesture.
            let _ = window.navigator().clipboard().write_text(&text);
            set_copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&text, set_copied);
    };
    view! {
        <button type="button" on:click=on_click title=format!("Copy the {what}") aria-label=format!("Copy the {what}") data-testid="copy"
            class="ml-2 rounded border border-slate-300 px-1.5 py-0.5 font-sans text-xs text-slate-600 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800">
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
