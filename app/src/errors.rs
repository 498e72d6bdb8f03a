//! The one error type of the server-function boundary: what the browser may see.
//! Causes are logged on the server with the request id; only the id crosses over.
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Sign in again.")]
    Unauthorized,
    #[error("Your role ({0}) may not do this. Ask an admin of the console.")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Not found: {0}")]
    NotFound(String),
    #[error("A service the console depends on is unavailable ({service}). Request id {request_id}.")]
    Unavailable { service: String, request_id: String },
    #[error("Something went wrong on our side. Request id {request_id}.")]
    Internal { request_id: String },
    #[error("The request could not be sent or read: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::Invalid(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::Unavailable { .. } => 503,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }

    /// A page's URL names a view that does not read (an unknown state, a page that is not a
    /// number): the client's mistake, answered 400 when the page renders on the server.
    pub fn bad_view(why: String) -> AppError {
        #[cfg(feature = "ssr")]
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::BAD_REQUEST);
        }
        AppError::Invalid(why)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Arguments that do not read (a wrong type, a missing field) are the client's mistake: 400
    /// with what serde said (bounded), never a 500. Everything else is the transport's.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(why) | ServerFnErrorErr::MissingArg(why) => {
                #[cfg(feature = "ssr")]
                if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    res.set_status(http::StatusCode::BAD_REQUEST);
                }
                let why: String = why.chars().filter(|c| !c.is_control()).take(160).collect();
                AppError::Invalid(format!("The request's arguments could not be read: {why}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
