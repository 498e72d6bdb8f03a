//! `linear-console`: loads and validates configuration, then serves the console.

#[tokio::main]
async fn main() {
    let config = match server::load_config(std::env::vars().collect(), None).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("linear-console: {e}");
            std::process::exit(2);
        }
    };
    server::telemetry::init(config.json_logs);
    let addr = config.addr;
    let options = server::leptos_options(&config);
    let state = match server::build_state(config, options).await {
        Ok(state) => state,
        Err(e) => {
            let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
            eprintln!("linear-console: {e}{cause}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("linear-console: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    tracing::info!(%addr, "linear console listening");
    if state.config.sweep.interval.is_some() {
        tokio::spawn(state.sweeper.clone().run());
    }
    let served = axum::serve(listener, server::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    if let Err(e) = served {
        eprintln!("linear-console: {e}");
        std::process::exit(1);
    }
}
