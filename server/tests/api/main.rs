//! Integration tests: the real router against a moto server this binary starts on a
//! free port. Each test bootstraps its own tables and user pool, so they run in parallel.
mod assets;
mod audit;
mod contract;
mod exports;
mod helpers;
mod incidents;
mod input;
mod install;
mod install_links;
mod lambda;
mod mfa;
mod modules;
mod origin;
mod platform;
mod probes;
mod projects;
mod registry;
mod removal;
mod security;
mod sessions;
mod sign_in;
mod stack;
mod sweep;
mod throttle;
mod upkeep;
mod user_links;
