//! The platform's Cognito user pool: password sign-in, ID-token verification, and the directory
//! of platform users.
pub mod directory;
pub mod id_token;
pub mod mfa;
pub mod sign_in;
