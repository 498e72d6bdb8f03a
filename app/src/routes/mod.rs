//! One module per page.
pub mod audit;
pub mod connect;
pub mod forbidden;
pub mod incidents;
pub mod install_link;
pub mod login;
pub mod member_sessions;
pub mod mfa;
pub mod new_password;
pub mod not_found;
pub mod profile;
pub mod settings;
pub mod users;
pub mod workspace;
pub mod workspace_projects;
pub mod workspace_users;
pub mod workspaces;
