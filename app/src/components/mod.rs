//! Pieces shared by several pages.
pub mod access;
pub mod copy;
pub mod export;
pub mod layout;
pub mod sessions;
pub mod status;
pub mod table;
pub mod theme;
