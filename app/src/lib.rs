//! The console's user interface: the HTML shell, the router, one module per page,
//! the wire types the browser sees and the server functions it calls.
#![recursion_limit = "256"]

pub mod components;
pub mod errors;
pub mod functions;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod identity;
pub mod outcomes;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod registry_view;
pub mod relative_time;
pub mod routes;
pub mod user_links_view;
pub mod validate;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::routes::{
    audit::AuditPage, connect::ConnectPage, forbidden::ForbiddenPage, incidents::IncidentsPage, login::LoginPage, mfa::MfaPage,
    new_password::NewPasswordPage, not_found::NotFound, profile::ProfilePage, settings::SettingsPage, users::UsersPage,
    workspace::WorkspacePage, workspace_users::WorkspaceUsersPage, workspaces::WorkspacesPage,
};

/// The document around every page. On the server it also sets the per-response
/// Content-Security-Policy, whose nonce the hydration scripts carry.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    guard::set_page_security_headers();
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                // Applies the saved or preferred colour scheme before first paint.
                <script nonce=nonce>{components::theme::THEME_BOOT_SCRIPT}</script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="console-css" href="/pkg/app.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Linear console".to_string() } else { format!("{t} · Linear console") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/login/new-password") view=NewPasswordPage/>
                <Route path=path!("/login/mfa") view=MfaPage/>
                <Route path=path!("/forbidden") view=ForbiddenPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("/") view=|| view! { <Redirect path="/workspaces"/> }/>
                    <Route path=path!("/workspaces") view=WorkspacesPage/>
                    // Before the parameter route: the static segment must win.
                    <Route path=path!("/workspaces/connect") view=ConnectPage/>
                    <Route path=path!("/workspaces/:org_id") view=WorkspacePage/>
                    <Route path=path!("/workspaces/:org_id/users") view=WorkspaceUsersPage/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/audit") view=AuditPage/>
                    <Route path=path!("/profile") view=ProfilePage/>
                    <Route path=path!("/incidents") view=IncidentsPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Lets tests (and curious admins) tell when the page is interactive.
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = el.set_attribute("data-hydrated", "true");
    }
}
