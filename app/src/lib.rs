//! The console's user interface: the HTML shell, the router, one module per page,
//! the wire types the browser sees and the server functions it calls.
#![recursion_limit = "256"]

pub mod components;
pub mod drops_view;
#[cfg(feature = "ssr")]
pub mod edge;
pub mod errors;
pub mod functions;
pub mod identity;
pub mod install_links_view;
pub mod outcomes;
pub mod projects_view;
pub mod registry_view;
pub mod relative_time;
pub mod routes;
pub mod url;
pub mod user_links_view;
pub mod validate;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::routes::{
    audit::AuditPage,
    connect::ConnectPage,
    forbidden::ForbiddenPage,
    incidents::IncidentsPage,
    install_link::{InstallDonePage, InstallLinkPage},
    login::LoginPage,
    member_sessions::MemberSessionsPage,
    mfa::MfaPage,
    new_password::NewPasswordPage,
    not_found::NotFound,
    profile::ProfilePage,
    settings::SettingsPage,
    users::UsersPage,
    workspace::WorkspacePage,
    workspace_projects::WorkspaceProjectsPage,
    workspace_users::WorkspaceUsersPage,
    workspaces::WorkspacesPage,
};

/// The document around every page. On the server it also sets the per-response
/// Content-Security-Policy, whose nonce the hydration scripts carry.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    edge::set_page_security_headers();
    let nonce = leptos::nonce::use_nonce();
    // The build's hashed name (`app.<hash>`) when the server found one: cached for a year.
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <link rel="stylesheet" id="console-css" href=css/>
                // Applies the saved or preferred colour scheme before first paint.
                <script nonce=nonce>{components::theme::THEME_BOOT_SCRIPT}</script>
                // Islands: pages are rendered on the server only; the browser loads the code of the
                // few interactive parts (`#[island]`), whatever page it is on. See the README's
                // "First load" for the measurements behind this choice.
                <HydrationScripts options islands=true/>
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
        <Title formatter=|t: String| if t.is_empty() { "Linear console".to_string() } else { format!("{t} · Linear console") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/login/new-password") view=NewPasswordPage/>
                <Route path=path!("/login/mfa") view=MfaPage/>
                <Route path=path!("/forbidden") view=ForbiddenPage/>
                <Route path=path!("/install/done") view=InstallDonePage/>
                <Route path=path!("/install/:link") view=InstallLinkPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("/") view=|| view! { <Redirect path="/workspaces"/> }/>
                    <Route path=path!("/workspaces") view=WorkspacesPage/>
                    // Before the parameter route: the static segment must win.
                    <Route path=path!("/workspaces/connect") view=ConnectPage/>
                    <Route path=path!("/workspaces/:org_id") view=WorkspacePage/>
                    <Route path=path!("/workspaces/:org_id/users") view=WorkspaceUsersPage/>
                    <Route path=path!("/workspaces/:org_id/projects") view=WorkspaceProjectsPage/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/users/:sub/sessions") view=MemberSessionsPage/>
                    <Route path=path!("/audit") view=AuditPage/>
                    <Route path=path!("/profile") view=ProfilePage/>
                    <Route path=path!("/incidents") view=IncidentsPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Called by the islands script once the wasm is loaded; it then hydrates each island of the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // Lets tests (and curious admins) tell when the page is interactive: after this call the
    // script hydrates the islands without yielding to the event loop, so a zero timeout runs after
    // every island of the page is live.
    set_timeout(
        || {
            if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
                let _ = el.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
