//! The console's rules, in a crate of their own: the platform's records and their parsing rules,
//! typed ids, token health, link states, incidents, access, the services and the traits they call.
//! No web framework and no AWS SDK is in its dependency tree (`make test` checks it with
//! `cargo tree`), so the layering is the compiler's to enforce: the server implements these traits
//! with adapters, the app turns what the services answer into pages.
pub mod access;
pub mod audit;
pub mod cache;
pub mod codes;
pub mod drops;
pub mod error;
pub mod health;
pub mod ids;
pub mod incidents;
pub mod lifecycle;
pub mod link_states;
pub mod ports;
pub mod records;
pub mod services;
pub mod sign_in_throttle;
pub mod time;
pub mod totp;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
