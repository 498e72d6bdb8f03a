//! The services: what the console does (install, upkeep, removal, user links, the sweep and the
//! views the pages read). They take and return domain types, call the adapters, know no HTTP.
pub mod access;
pub mod alerts;
pub mod charts;
pub mod incidents;
pub mod install;
pub mod removal;
pub mod sign_in_throttle;
pub mod sweep;
pub mod upkeep;
pub mod user_links;
pub mod user_links_port;
pub mod workspaces;
