//! Local stand-ins for the console's dependencies: a moto server launcher and the
//! idempotent bootstrap of everything the platform stack would have created.
pub mod bootstrap;
pub mod figures;
pub mod fixtures;
pub mod iam;
pub mod lambda_api;
pub mod linear;
pub mod moto;
pub mod processor;
pub mod rehearsal;
pub mod surface;
pub mod totp;

pub use bootstrap::{bootstrap, sdk_config, BootstrapError, Local};
pub use moto::Moto;

/// This crate's directory: from cargo at run time when it is set (`cargo test`, `cargo run`), else
/// where it was built. Run time first, because a build directory shared by two clones would
/// otherwise point one clone's tests at the other clone's files.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// A query value, percent-encoded (RFC 3986's unreserved characters kept), for the stand-ins' and
/// probes' URLs.
pub fn url_encode(s: &str) -> String {
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}
