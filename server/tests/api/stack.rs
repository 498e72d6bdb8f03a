//! Configuration from the platform stack's name: its outputs read from CloudFormation (moto), an
//! explicit variable winning over an output, and each way it can fail named with what to do.
use std::collections::HashMap;

use server::LoadError;

use crate::helpers::*;

async fn bootstrapped() -> (end2end::Local, aws_config::SdkConfig) {
    let local =
        end2end::bootstrap(&moto_endpoint(), "us-east-1", &format!("s{}", &uuid::Uuid::new_v4().simple().to_string()[..10]), PASSWORD)
            .await
            .expect("bootstrap");
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    (local, sdk)
}

fn env(pairs: Vec<(&'static str, String)>) -> HashMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[tokio::test]
async fn the_stack_name_is_enough_and_an_explicit_variable_wins() {
    let (local, sdk) = bootstrapped().await;
    let config = server::load_config(env(local.stack_env()), Some(&sdk)).await.expect("configured from the stack");
    assert_eq!(config.tables.registry, local.registry_table);
    assert_eq!(config.tables.user_mapping, local.user_mapping_table);
    assert_eq!(config.webhook_secret_arn, local.webhook_secret_arn);
    assert_eq!(config.cognito.user_pool_id, local.user_pool_id);
    assert_eq!(config.cognito.app_client_id, local.app_client_id);

    let mut overridden = env(local.stack_env());
    overridden.insert("LINEAR_REGISTRY_TABLE".into(), "registry-by-hand".into());
    let config = server::load_config(overridden, Some(&sdk)).await.unwrap();
    assert_eq!(config.tables.registry, "registry-by-hand");
    assert_eq!(config.tables.user_mapping, local.user_mapping_table, "the other outputs still apply");
}

#[tokio::test]
async fn a_console_configured_only_by_the_stack_name_signs_an_admin_in() {
    let (local, _) = bootstrapped().await;
    let only_stack: Vec<(&str, &str)> = [
        "LINEAR_REGISTRY_TABLE",
        "LINEAR_USER_MAPPING_TABLE",
        "LINEAR_WEBHOOK_SECRET_ARN",
        "COGNITO_USER_POOL_ID",
        "COGNITO_APP_CLIENT_ID",
    ]
    .into_iter()
    .map(|k| (k, ""))
    .chain([("PLATFORM_STACK_NAME", local.stack_name.as_str())])
    .collect();
    let app = spawn_app_for(local.clone(), &only_stack).await;
    app.sign_in_admin().await;
    let res = app.client.get(app.url("/workspaces")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_missing_stack_or_output_stops_the_start_with_what_to_do() {
    let (local, sdk) = bootstrapped().await;
    let mut missing = env(local.stack_env());
    missing.insert("PLATFORM_STACK_NAME".into(), format!("{}-nope", local.stack_name));
    let err = server::load_config(missing, Some(&sdk)).await.unwrap_err();
    assert!(matches!(err, LoadError::Stack(server::adapters::cloudformation::StackError::Missing { .. })), "{err}");
    assert!(err.to_string().contains(&format!("{}-nope does not exist", local.stack_name)), "{err}");
    assert!(err.to_string().contains("PLATFORM_STACK_NAME"), "{err}");

    // A stack without the user pool's output (say, not the platform's stack at all).
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let partial = format!("{}-partial", local.stack_name);
    let outputs: Vec<(&str, String)> = end2end::bootstrap::stack_outputs(&local).into_iter().filter(|(k, _)| *k != "UserPoolId").collect();
    end2end::bootstrap::platform_stack(&cfn, &partial, &outputs).await.unwrap();
    let mut e = env(local.stack_env());
    e.insert("PLATFORM_STACK_NAME".into(), partial.clone());
    let err = server::load_config(e, Some(&sdk)).await.unwrap_err();
    assert!(err.to_string().contains(&format!("COGNITO_USER_POOL_ID: the platform stack {partial} has no output UserPoolId")), "{err}");
    // ... unless the variable is set.
    let mut e = env(local.stack_env());
    e.insert("PLATFORM_STACK_NAME".into(), partial);
    e.insert("COGNITO_USER_POOL_ID".into(), local.user_pool_id.clone());
    assert!(server::load_config(e, Some(&sdk)).await.is_ok());
}

/// CloudFormation answering as it does to a role without `cloudformation:DescribeStacks`.
async fn denying_cloudformation() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        (
            http::StatusCode::FORBIDDEN,
            [(http::header::CONTENT_TYPE, "text/xml")],
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
             <Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/console is not authorized to \
             perform: cloudformation:DescribeStacks</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_denied_describe_stacks_names_the_permission() {
    let (local, _) = bootstrapped().await;
    let sdk = end2end::sdk_config(&denying_cloudformation().await, "us-east-1").await;
    let err = server::load_config(env(local.stack_env()), Some(&sdk)).await.unwrap_err();
    assert!(matches!(err, LoadError::Stack(server::adapters::cloudformation::StackError::Denied { .. })), "{err}");
    assert!(err.to_string().contains("cloudformation:DescribeStacks"), "{err}");
    assert!(err.to_string().contains(&local.stack_name), "{err}");
}
