//! A small Lambda Runtime API emulator (a test double): the plain-HTTP interface a function's
//! runtime polls (`/2018-06-01/runtime/invocation/next`, then `…/{id}/response` or `…/{id}/error`),
//! so the console's Lambda mode runs here, on loopback, against events a test hands it.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, Mutex};

/// What the function answered to one event.
#[derive(Debug)]
pub enum Answer {
    Response(Value),
    Error(Value),
}

struct Shared {
    queue: Mutex<mpsc::Receiver<(String, Value)>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    init_errors: Mutex<Vec<Value>>,
}

/// The emulator: its address (`AWS_LAMBDA_RUNTIME_API`) and a way to invoke the function.
#[derive(Clone)]
pub struct LambdaApi {
    pub addr: String,
    events: mpsc::Sender<(String, Value)>,
    shared: Arc<Shared>,
}

impl LambdaApi {
    /// Serves the Runtime API on a free loopback port.
    pub async fn start() -> std::io::Result<LambdaApi> {
        let (events, queue) = mpsc::channel(16);
        let shared =
            Arc::new(Shared { queue: Mutex::new(queue), waiting: Mutex::new(HashMap::new()), init_errors: Mutex::new(Vec::new()) });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(LambdaApi { addr, events, shared })
    }

    /// Hands the function one event and waits (up to `limit`) for its answer.
    pub async fn invoke(&self, event: Value, limit: Duration) -> Result<Answer, String> {
        let id = uuid_like();
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().await.insert(id.clone(), tx);
        self.events.send((id, event)).await.map_err(|_| "the emulator stopped".to_owned())?;
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err("the invocation was dropped".to_owned()),
            Err(_) => Err(format!("no answer within {limit:?} (init errors: {:?})", self.shared.init_errors.lock().await)),
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        rng.random::<u32>(),
        rng.random::<u16>(),
        rng.random::<u16>() & 0xfff,
        rng.random::<u16>() & 0xfff,
        rng.random::<u64>() & 0xffff_ffff_ffff
    )
}

/// The runtime's long poll: the next event, with the headers Lambda sends.
async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let Some((id, event)) = shared.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() + 30_000).unwrap_or_default();
    let mut headers = HeaderMap::new();
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    };
    put("lambda-runtime-aws-request-id", id);
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:linear-console".to_owned());
    put("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned());
    put("content-type", "application/json".to_owned());
    (StatusCode::OK, headers, event.to_string())
}

async fn answer(shared: &Shared, id: &str, answer: Answer) -> StatusCode {
    match shared.waiting.lock().await.remove(id) {
        Some(tx) => {
            let _ = tx.send(answer);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: String) -> StatusCode {
    answer(&shared, &id, Answer::Response(serde_json::from_str(&body).unwrap_or(Value::String(body)))).await
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: String) -> StatusCode {
    answer(&shared, &id, Answer::Error(serde_json::from_str(&body).unwrap_or(Value::String(body)))).await
}

async fn init_error(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    shared.init_errors.lock().await.push(serde_json::from_str(&body).unwrap_or(Value::String(body)));
    StatusCode::ACCEPTED
}
