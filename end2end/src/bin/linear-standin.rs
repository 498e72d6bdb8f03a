//! `linear-standin`: serves the Linear stand-in on `LINEAR_STANDIN_ADDR` (127.0.0.1:3100).
//! Client id/secret and the allowed redirect URIs come from the environment.
use end2end::linear::{router, Settings, World};

#[tokio::main]
async fn main() {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let defaults = Settings::default();
    let settings = Settings {
        client_id: var("LINEAR_CLIENT_ID").unwrap_or(defaults.client_id),
        client_secret: var("LINEAR_CLIENT_SECRET").unwrap_or(defaults.client_secret),
        redirect_uris: var("LINEAR_STANDIN_REDIRECT_URIS")
            .map(|v| v.split(',').map(str::to_owned).collect())
            .unwrap_or(defaults.redirect_uris),
        ..defaults
    };
    let addr = var("LINEAR_STANDIN_ADDR").unwrap_or_else(|| "127.0.0.1:3100".into());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("linear-standin: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("linear-standin: Linear stand-in on http://{addr}");
    if let Err(e) = axum::serve(listener, router(World::shared(settings))).await {
        eprintln!("linear-standin: {e}");
        std::process::exit(1);
    }
}
