//! DynamoDB tables: the platform's registry and user mapping, the console's sessions and audit log.
pub mod audit;
pub mod incidents;
pub mod leases;
pub mod registry;
pub mod sessions;
pub mod sign_in_attempts;
pub mod user_mappings;
