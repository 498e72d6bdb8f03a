//! `linear-console`: loads and validates configuration, then serves the console: on a socket, or,
//! when Lambda runs it (`AWS_LAMBDA_RUNTIME_API` is set), the same router through Lambda's events.

#[tokio::main]
async fn main() {
    let on_lambda = match server::web::lambda::lambda_mode(|k| std::env::var(k).ok().filter(|v| !v.is_empty())) {
        Ok(on) => on,
        Err(e) => {
            eprintln!("linear-console: {e}");
            std::process::exit(2);
        }
    };
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
    // Audit events written before the log's indexes existed get their place in them (once).
    let audit = state.audit_table.clone();
    tokio::spawn(async move {
        match audit.migrate().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "audit log: older events indexed"),
            Err(e) => {
                tracing::warn!(error = %console_core::error::chain(&e), "audit log: older events not indexed yet (retried at the next start)")
            }
        }
    });
    if on_lambda {
        tracing::info!("linear console serving Lambda events");
        if let Err(e) = server::web::lambda::serve(state).await {
            eprintln!("linear-console: the Lambda runtime stopped: {e}");
            std::process::exit(1);
        }
        return;
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("linear-console: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    tracing::info!(%addr, "linear console listening");
    if state.config.sweep.interval.is_some() {
        tokio::spawn(state.services.sweeper.clone().run());
    }
    // With the peer's address on every request, for the sign-in throttle.
    let app = server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    if let Err(e) = served {
        eprintln!("linear-console: {e}");
        std::process::exit(1);
    }
}
