//! Light and dark: the preference lives in localStorage and on `<html class="dark">`.
use leptos::prelude::*;

/// Runs before first paint so a dark-mode admin never sees a white flash.
pub const THEME_BOOT_SCRIPT: &str = "(function(){try{var t=localStorage.getItem('theme');\
if(t==='dark'||(!t&&window.matchMedia('(prefers-color-scheme: dark)').matches))\
{document.documentElement.classList.add('dark')}}catch(e){}})();";

/// A purely client-side toggle: no server round trip. An island: the only code of the page
/// header that reaches the browser.
#[island]
pub fn ThemeToggle() -> impl IntoView {
    let (dark, set_dark) = signal(false);
    // After hydration, read what the boot script decided.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = document_element() {
            set_dark.set(el.class_list().contains("dark"));
        }
    });
    let toggle = move |_| {
        let next = !dark.get_untracked();
        set_dark.set(next);
        #[cfg(feature = "hydrate")]
        {
            if let Some(el) = document_element() {
                let _ = if next { el.class_list().add_1("dark") } else { el.class_list().remove_1("dark") };
            }
            if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                let _ = storage.set_item("theme", if next { "dark" } else { "light" });
            }
        }
    };
    view! {
        <button
            type="button"
            data-testid="theme-toggle"
            aria-pressed=move || dark.get().to_string()
            on:click=toggle
            class="rounded-md border border-slate-300 px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
        >
            {move || if dark.get() { "Light mode" } else { "Dark mode" }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn document_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
