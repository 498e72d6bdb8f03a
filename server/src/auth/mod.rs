//! Admin sign-in: Cognito password auth, ID-token verification, and the sign-in routes.
pub mod cognito;
pub mod id_token;
pub mod routes;
