//! The platform's records as the console reads and writes them (UPSTREAM_CONTRACT.md): registry
//! rows, token bundles, user-mapping rows, project mappings and repositories, and the people on
//! either side of a link. Typed and pure: adapters turn stored items into these and back, and
//! nothing else handles a raw item.
pub mod install_links;
pub mod members;
pub mod projects;
pub mod registry;
pub mod token_bundle;
pub mod user_mapping;
