//! `bootstrap [env-file]`: prepares the local AWS stand-in (moto) for the console and
//! writes the console's environment to `env-file` as `export NAME=value` lines.
use std::io::Write;

#[tokio::main]
async fn main() {
    let var = |k: &str, d: &str| std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_owned());
    let endpoint = var("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    let region = var("AWS_REGION", "us-east-1");
    let prefix = var("LOCAL_PREFIX", "local");
    let password = var("DEMO_PASSWORD", end2end::bootstrap::DEFAULT_DEMO_PASSWORD);
    let local = match end2end::bootstrap(&endpoint, &region, &prefix, &password).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bootstrap: {e}");
            std::process::exit(1);
        }
    };
    // The demo registry: the platform's own fixture records, so every row kind is on show.
    if std::env::var("SEED_REGISTRY").is_ok_and(|v| v == "1") {
        let sdk = end2end::sdk_config(&endpoint, &region).await;
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        match end2end::fixtures::seed_registry(&ddb, &local.registry_table).await {
            Ok(n) => println!("bootstrap: seeded {n} registry rows from the platform's contract fixture"),
            Err(e) => println!("bootstrap: registry not seeded ({e})"),
        }
    }
    // The console finds the platform's tables, secret and pool through the stack's outputs, as it
    // would next to a deployed platform stack.
    let mut lines: String = local.stack_env().iter().map(|(k, v)| format!("export {k}='{v}'\n")).collect();
    // Not the console's (it finds the group through the stack): the demo seed writes the
    // processor's lines there.
    lines.push_str(&format!("export LOCAL_PROCESSOR_LOG_GROUP='{}'\n", local.processor_log_group));
    match std::env::args().nth(1) {
        Some(path) => {
            let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(lines.as_bytes()));
            if let Err(e) = written {
                eprintln!("bootstrap: cannot write {path}: {e}");
                std::process::exit(1);
            }
            println!("bootstrap: local AWS ready at {endpoint}; console environment in {path}");
        }
        None => print!("{lines}"),
    }
}
