//! Local stand-ins for the console's dependencies: a moto server launcher and the
//! idempotent bootstrap of everything the platform stack would have created.
pub mod bootstrap;
pub mod fixtures;
pub mod linear;
pub mod moto;

pub use bootstrap::{bootstrap, sdk_config, Local, BootstrapError};
pub use moto::Moto;
