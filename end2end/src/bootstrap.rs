//! Creates, idempotently, what the platform stack and the console need locally:
//! the platform's three Linear tables (the contract's keys), the console's sessions and
//! audit tables, the stack-wide webhook secret, and a Cognito pool with demo users.
use aws_sdk_cloudformation as cloudformation;
use aws_sdk_cognitoidentityprovider as cognito;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, ExplicitAuthFlowsType, MessageActionType, UsernameAttributeType};
use aws_sdk_dynamodb as dynamodb;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_secretsmanager as secrets;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const USER_EMAIL: &str = "user@example.com";
/// An admin created with a temporary password: the first sign-in asks for a new one.
pub const FIRST_SIGN_IN_EMAIL: &str = "new-admin@example.com";
pub const ADMIN_GROUP: &str = "linear-console-admins";
/// The other two roles' groups (the console's defaults) and a demo member of each.
pub const OPERATOR_GROUP: &str = "linear-console-operators";
pub const VIEWER_GROUP: &str = "linear-console-viewers";
pub const OPERATOR_EMAIL: &str = "operator@example.com";
pub const VIEWER_EMAIL: &str = "viewer@example.com";
pub const DEFAULT_DEMO_PASSWORD: &str = "Console-demo-1";
/// A stack-wide webhook signing secret, as the platform stores it (a plain string).
pub const LOCAL_WEBHOOK_SECRET: &str = "lin_wh_local0000000000000000000000";

#[derive(Debug, thiserror::Error)]
#[error("bootstrap step '{step}' failed: {cause}")]
pub struct BootstrapError {
    pub step: &'static str,
    pub cause: String,
}

fn fail<E: std::error::Error>(step: &'static str) -> impl FnOnce(E) -> BootstrapError {
    move |e| BootstrapError { step, cause: format!("{e:?}") }
}

/// Names and ids of everything bootstrapped: the console's configuration.
#[derive(Debug, Clone)]
pub struct Local {
    pub endpoint: String,
    pub region: String,
    pub registry_table: String,
    pub user_mapping_table: String,
    pub project_mapping_table: String,
    /// The platform's repository table (`RepoTableName`), with [`ONBOARDED_REPOS`] in it.
    pub repo_table: String,
    pub sessions_table: String,
    pub audit_table: String,
    pub incidents_table: String,
    /// The SNS topic the console's alerts go to locally.
    pub alert_topic_arn: String,
    pub webhook_secret_arn: String,
    /// The console's own: the key its sessions table's data is sealed with.
    pub session_key_secret_arn: String,
    pub user_pool_id: String,
    pub app_client_id: String,
    pub admin_group: String,
    /// The platform stack made in moto, whose outputs name the resources above.
    pub stack_name: String,
    /// The console's own log group that audit events are also written to (stream `audit`).
    pub audit_log_group: String,
    /// The platform's webhook processor's log group (`/aws/lambda/<its function>`), found among the
    /// stack's resources as the console finds it; lines are written to [`PROCESSOR_STREAM`].
    pub processor_log_group: String,
}

/// The stream the local processor's lines go to (Lambda names its streams by day and version).
pub const PROCESSOR_STREAM: &str = "2026/12/03/[$LATEST]0123456789abcdef";

impl Local {
    /// The environment the console reads (see server/src/config.rs).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("LINEAR_REGISTRY_TABLE", self.registry_table.clone()),
            ("LINEAR_USER_MAPPING_TABLE", self.user_mapping_table.clone()),
            ("LINEAR_PROJECT_MAPPING_TABLE", self.project_mapping_table.clone()),
            ("PLATFORM_REPO_TABLE", self.repo_table.clone()),
            ("CONSOLE_SESSIONS_TABLE", self.sessions_table.clone()),
            ("CONSOLE_AUDIT_TABLE", self.audit_table.clone()),
            ("CONSOLE_INCIDENTS_TABLE", self.incidents_table.clone()),
            ("LINEAR_WEBHOOK_SECRET_ARN", self.webhook_secret_arn.clone()),
            ("CONSOLE_SESSION_KEY_SECRET_ARN", self.session_key_secret_arn.clone()),
            ("COGNITO_USER_POOL_ID", self.user_pool_id.clone()),
            ("COGNITO_APP_CLIENT_ID", self.app_client_id.clone()),
            ("CONSOLE_ADMIN_GROUP", self.admin_group.clone()),
            ("CONSOLE_AUDIT_LOG_GROUP", self.audit_log_group.clone()),
            ("PLATFORM_PROCESSOR_LOG_GROUP", self.processor_log_group.clone()),
        ]
    }

    /// The environment of a console that finds the platform's resources through the stack's
    /// outputs: only the stack's name, the AWS endpoint, and the console's own resources.
    pub fn stack_env(&self) -> Vec<(&'static str, String)> {
        let from_stack = [
            "LINEAR_REGISTRY_TABLE",
            "LINEAR_USER_MAPPING_TABLE",
            "LINEAR_PROJECT_MAPPING_TABLE",
            "PLATFORM_REPO_TABLE",
            "LINEAR_WEBHOOK_SECRET_ARN",
            "PLATFORM_PROCESSOR_LOG_GROUP",
        ];
        let mut env: Vec<(&'static str, String)> =
            self.env().into_iter().filter(|(k, _)| !from_stack.contains(k) && !k.starts_with("COGNITO_")).collect();
        env.push(("PLATFORM_STACK_NAME", self.stack_name.clone()));
        // `make run`'s alerts go to the topic the bootstrap made (its ARN is printed).
        env.push(("CONSOLE_ALERT_SNS_TOPIC_ARNS", self.alert_topic_arn.clone()));
        env
    }
}

/// The repositories the local platform has onboarded (its repository table): three active, one removed.
pub const ONBOARDED_REPOS: [(&str, &str); 4] =
    [("acme/web", "active"), ("acme/api", "active"), ("acme/legacy", "removed"), ("initrode/core", "active")];

/// The platform stack's outputs for these resources, as the platform's CDK app names them.
pub fn stack_outputs(l: &Local) -> Vec<(&'static str, String)> {
    vec![
        ("LinearWorkspaceRegistryTableName", l.registry_table.clone()),
        ("LinearUserMappingTableName", l.user_mapping_table.clone()),
        ("LinearProjectMappingTableName", l.project_mapping_table.clone()),
        ("RepoTableName", l.repo_table.clone()),
        ("LinearWebhookSecretArn", l.webhook_secret_arn.clone()),
        ("UserPoolId", l.user_pool_id.clone()),
        ("AppClientId", l.app_client_id.clone()),
        ("ApiUrl", "http://127.0.0.1:4566/local-platform-api".to_owned()),
    ]
}

/// The platform's webhook processor's logical id, as the platform's CDK app names it (construct
/// `LinearIntegration`, function `WebhookProcessorFn`, and a hash).
pub const PROCESSOR_LOGICAL_ID: &str = "LinearIntegrationWebhookProcessorFn8A1C3E5F";

/// Creates (or replaces) a CloudFormation stack in moto whose outputs are `outputs`. Its resources
/// are the webhook processor's function (and its role), which the console finds its log group by;
/// the resources the outputs name were made directly above.
pub async fn platform_stack(cfn: &cloudformation::Client, name: &str, outputs: &[(&str, String)]) -> Result<(), BootstrapError> {
    let outputs: serde_json::Map<String, serde_json::Value> =
        outputs.iter().map(|(k, v)| ((*k).to_owned(), serde_json::json!({ "Value": v }))).collect();
    let assume = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }],
    });
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The platform stack as the console sees it locally: its outputs name the local resources.",
        "Resources": {
            "LinearIntegrationWebhookProcessorFnServiceRole": { "Type": "AWS::IAM::Role", "Properties": { "AssumeRolePolicyDocument": assume } },
            PROCESSOR_LOGICAL_ID: {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "nodejs20.x",
                    "Handler": "index.handler",
                    "Role": { "Fn::GetAtt": ["LinearIntegrationWebhookProcessorFnServiceRole", "Arn"] },
                    "Code": { "ZipFile": "exports.handler = async () => {};" },
                },
            },
        },
        "Outputs": outputs,
    });
    let exists = cfn.describe_stacks().stack_name(name).send().await.is_ok();
    if exists {
        cfn.delete_stack().stack_name(name).send().await.map_err(fail("delete the old platform stack"))?;
    }
    cfn.create_stack().stack_name(name).template_body(template.to_string()).send().await.map_err(fail("create the platform stack"))?;
    Ok(())
}

/// SDK configuration for a local endpoint with moto's dummy credentials.
pub async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(dynamodb::config::Credentials::new("test", "test", None, None, "local"))
        .load()
        .await
}

/// Everything under `prefix`, so several bootstraps (one per test) share one moto.
pub async fn bootstrap(endpoint: &str, region: &str, prefix: &str, demo_password: &str) -> Result<Local, BootstrapError> {
    let sdk = sdk_config(endpoint, region).await;
    let ddb = dynamodb::Client::new(&sdk);
    let sm = secrets::Client::new(&sdk);
    let idp = cognito::Client::new(&sdk);

    let registry_table = format!("{prefix}-LinearWorkspaceRegistry");
    let user_mapping_table = format!("{prefix}-LinearUserMapping");
    let project_mapping_table = format!("{prefix}-LinearProjectMapping");
    let repo_table = format!("{prefix}-RepoTable");
    let sessions_table = format!("{prefix}-console-sessions");
    let audit_table = format!("{prefix}-console-audit");
    let incidents_table = format!("{prefix}-console-incidents");

    create_registry_table(&ddb, &registry_table).await?;
    table(
        &ddb,
        &user_mapping_table,
        &[("linear_identity", KeyType::Hash)],
        &[("PlatformUserIndex", "platform_user_id", "linked_at")],
        Some("ttl"),
    )
    .await?;
    table(&ddb, &project_mapping_table, &[("linear_project_id", KeyType::Hash)], &[], None).await?;
    table(&ddb, &repo_table, &[("repo", KeyType::Hash)], &[], None).await?;
    for (repo, status) in ONBOARDED_REPOS {
        let item = [("repo", repo), ("status", status), ("onboarded_at", "2026-07-30T10:00:00Z")]
            .map(|(k, v)| (k.to_owned(), dynamodb::types::AttributeValue::S(v.to_owned())));
        ddb.put_item().table_name(&repo_table).set_item(Some(item.into())).send().await.map_err(fail("onboard a repository"))?;
    }
    sessions(&ddb, &sessions_table).await?;
    // The audit log, read newest first across days (`ByTime`) or for one workspace (`ByWorkspace`).
    let audit_indexes = [("ByTime", "feed", "sk"), ("ByWorkspace", "target", "sk")];
    table(&ddb, &audit_table, &[("day", KeyType::Hash), ("sk", KeyType::Range)], &audit_indexes, None).await?;
    table(&ddb, &incidents_table, &[("pk", KeyType::Hash), ("sk", KeyType::Range)], &[], Some("ttl")).await?;
    let topic = aws_sdk_sns::Client::new(&sdk).create_topic().name(format!("{prefix}-console-alerts")).send().await;
    let alert_topic_arn = topic.map_err(fail("create the alert topic"))?.topic_arn.unwrap_or_default();

    let webhook_secret_arn = webhook_secret(&sm, &format!("{prefix}-LinearWebhookSecret")).await?;
    let session_key_secret_arn = session_key(&sm, &format!("{prefix}-console-session-key")).await?;
    let (user_pool_id, app_client_id) = user_pool(&idp, &format!("{prefix}-users")).await?;
    for group in [ADMIN_GROUP, OPERATOR_GROUP, VIEWER_GROUP] {
        let made = idp.create_group().user_pool_id(&user_pool_id).group_name(group).send().await;
        if let Err(e) = made {
            if !e.as_service_error().is_some_and(|s| s.is_group_exists_exception()) {
                return Err(fail("create the console's groups")(e));
            }
        }
    }
    demo_user(&idp, &user_pool_id, ADMIN_EMAIL, demo_password, Some(ADMIN_GROUP)).await?;
    demo_user(&idp, &user_pool_id, OPERATOR_EMAIL, demo_password, Some(OPERATOR_GROUP)).await?;
    demo_user(&idp, &user_pool_id, VIEWER_EMAIL, demo_password, Some(VIEWER_GROUP)).await?;
    demo_user(&idp, &user_pool_id, USER_EMAIL, demo_password, None).await?;
    first_sign_in_user(&idp, &user_pool_id, FIRST_SIGN_IN_EMAIL, demo_password, ADMIN_GROUP).await?;

    let audit_log_group = format!("/{prefix}/linear-console/audit");
    audit_log(&aws_sdk_cloudwatchlogs::Client::new(&sdk), &audit_log_group).await?;
    let stack_name = format!("{prefix}-platform");
    let mut local = Local {
        endpoint: endpoint.to_owned(),
        region: region.to_owned(),
        registry_table,
        user_mapping_table,
        project_mapping_table,
        repo_table,
        sessions_table,
        audit_table,
        incidents_table,
        alert_topic_arn,
        webhook_secret_arn,
        session_key_secret_arn,
        user_pool_id,
        app_client_id,
        admin_group: ADMIN_GROUP.to_owned(),
        stack_name,
        audit_log_group,
        processor_log_group: String::new(),
    };
    let cfn = cloudformation::Client::new(&sdk);
    platform_stack(&cfn, &local.stack_name, &stack_outputs(&local)).await?;
    local.processor_log_group = processor_log(&cfn, &aws_sdk_cloudwatchlogs::Client::new(&sdk), &local.stack_name).await?;
    Ok(local)
}

/// The processor's log group, as Lambda makes it for the stack's function, with one stream.
async fn processor_log(cfn: &cloudformation::Client, logs: &aws_sdk_cloudwatchlogs::Client, stack: &str) -> Result<String, BootstrapError> {
    let resources = cfn.describe_stack_resource().stack_name(stack).logical_resource_id(PROCESSOR_LOGICAL_ID).send().await;
    let detail = resources.map_err(fail("find the processor function"))?;
    let name = detail.stack_resource_detail().and_then(|d| d.physical_resource_id()).unwrap_or_default().to_owned();
    let group = format!("/aws/lambda/{name}");
    log_group(logs, &group, PROCESSOR_STREAM).await?;
    Ok(group)
}

/// The console's audit log group and its `audit` stream (as the deployment makes them), kept if
/// they exist.
async fn audit_log(logs: &aws_sdk_cloudwatchlogs::Client, group: &str) -> Result<(), BootstrapError> {
    log_group(logs, group, "audit").await
}

/// A log group and a stream in it, kept if they exist.
async fn log_group(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str) -> Result<(), BootstrapError> {
    let made = logs.create_log_group().log_group_name(group).send().await;
    if let Err(e) = made {
        if !e.as_service_error().is_some_and(|s| s.is_resource_already_exists_exception()) {
            return Err(fail("create a log group")(e));
        }
    }
    let made = logs.create_log_stream().log_group_name(group).log_stream_name(stream).send().await;
    if let Err(e) = made {
        if !e.as_service_error().is_some_and(|s| s.is_resource_already_exists_exception()) {
            return Err(fail("create a log stream")(e));
        }
    }
    Ok(())
}

/// The platform's workspace registry table: `linear_workspace_id` (S), nothing else.
pub async fn create_registry_table(ddb: &dynamodb::Client, name: &str) -> Result<(), BootstrapError> {
    table(ddb, name, &[("linear_workspace_id", KeyType::Hash)], &[], None).await
}

/// The console's sessions: by id, and signed-in ones by member (`ByMember`: the attributes a
/// member's list of sessions shows, not the session's data).
async fn sessions(ddb: &dynamodb::Client, name: &str) -> Result<(), BootstrapError> {
    let attr = |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build();
    let key = |n: &str| KeySchemaElement::builder().attribute_name(n).key_type(KeyType::Hash).build();
    let listed = ["started_at", "seen_at", "ends_at", "expires_at", "address", "browser"];
    let index = GlobalSecondaryIndex::builder()
        .index_name("ByMember")
        .key_schema(key("member").map_err(fail("index key"))?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(listed.map(str::to_owned).to_vec()))
                .build(),
        )
        .build()
        .map_err(fail("index"))?;
    let made = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("id").map_err(fail("table attribute"))?)
        .attribute_definitions(attr("member").map_err(fail("index attribute"))?)
        .key_schema(key("id").map_err(fail("table key"))?)
        .global_secondary_indexes(index)
        .send()
        .await;
    match made {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(fail("create table")(e)),
    }
    ddb.update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().enabled(true).attribute_name("expires_at").build().map_err(fail("ttl"))?,
        )
        .send()
        .await
        .map_err(fail("enable ttl"))?;
    Ok(())
}

async fn table(
    ddb: &dynamodb::Client,
    name: &str,
    keys: &[(&str, KeyType)],
    gsis: &[(&str, &str, &str)],
    ttl: Option<&str>,
) -> Result<(), BootstrapError> {
    let attr = |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build();
    let key = |n: &str, t: KeyType| KeySchemaElement::builder().attribute_name(n).key_type(t).build();
    let mut req = ddb.create_table().table_name(name).billing_mode(BillingMode::PayPerRequest);
    let mut defined: Vec<&str> = Vec::new();
    for (n, t) in keys {
        req = req.attribute_definitions(attr(n).map_err(fail("table attribute"))?);
        defined.push(n);
        req = req.key_schema(key(n, t.clone()).map_err(fail("table key"))?);
    }
    for &(index, pk, sk) in gsis {
        for a in [pk, sk] {
            if !defined.contains(&a) {
                req = req.attribute_definitions(attr(a).map_err(fail("index attribute"))?);
                defined.push(a);
            }
        }
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(pk, KeyType::Hash).map_err(fail("index key"))?)
                .key_schema(key(sk, KeyType::Range).map_err(fail("index key"))?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(fail("index"))?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(fail("create table")(e)),
    }
    if let Some(attr) = ttl {
        ddb.update_time_to_live()
            .table_name(name)
            .time_to_live_specification(TimeToLiveSpecification::builder().enabled(true).attribute_name(attr).build().map_err(fail("ttl"))?)
            .send()
            .await
            .map_err(fail("enable ttl"))?;
    }
    Ok(())
}

async fn webhook_secret(sm: &secrets::Client, name: &str) -> Result<String, BootstrapError> {
    match sm.describe_secret().secret_id(name).send().await {
        Ok(d) => return Ok(d.arn.unwrap_or_default()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(fail("describe webhook secret")(e)),
    }
    let out = sm.create_secret().name(name).secret_string(LOCAL_WEBHOOK_SECRET).send().await.map_err(fail("create webhook secret"))?;
    Ok(out.arn.unwrap_or_default())
}

/// The console's session key: 64 random letters and digits, as the deployment generates it.
async fn session_key(sm: &secrets::Client, name: &str) -> Result<String, BootstrapError> {
    use rand::Rng;
    match sm.describe_secret().secret_id(name).send().await {
        Ok(d) => return Ok(d.arn.unwrap_or_default()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(fail("describe the session key")(e)),
    }
    let value: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(64).map(char::from).collect();
    let out = sm.create_secret().name(name).secret_string(value).send().await.map_err(fail("create the session key"))?;
    Ok(out.arn.unwrap_or_default())
}

async fn user_pool(idp: &cognito::Client, name: &str) -> Result<(String, String), BootstrapError> {
    let pools = idp.list_user_pools().max_results(60).send().await.map_err(fail("list user pools"))?;
    let existing = pools.user_pools().iter().find(|p| p.name() == Some(name)).and_then(|p| p.id().map(str::to_owned));
    let pool_id = match existing {
        Some(id) => id,
        None => idp
            .create_user_pool()
            .pool_name(name)
            .username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(cognito::types::VerifiedAttributeType::Email)
            .send()
            .await
            .map_err(fail("create user pool"))?
            .user_pool
            .and_then(|p| p.id)
            .unwrap_or_default(),
    };
    let client_name = "linear-console";
    let clients = idp.list_user_pool_clients().user_pool_id(&pool_id).max_results(60).send().await.map_err(fail("list clients"))?;
    if let Some(id) = clients.user_pool_clients().iter().find(|c| c.client_name() == Some(client_name)).and_then(|c| c.client_id()) {
        return Ok((pool_id, id.to_owned()));
    }
    let client = idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(client_name)
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .map_err(fail("create app client"))?;
    Ok((pool_id, client.user_pool_client.and_then(|c| c.client_id).unwrap_or_default()))
}

/// Creates a group member whose password is temporary (Cognito's NEW_PASSWORD_REQUIRED).
/// An existing user is left as it is: it may have chosen its own password already.
pub async fn first_sign_in_user(
    idp: &cognito::Client,
    pool_id: &str,
    email: &str,
    temporary_password: &str,
    group: &str,
) -> Result<(), BootstrapError> {
    if create_user(idp, pool_id, email, Some(temporary_password)).await? {
        add_to_group(idp, pool_id, email, group).await?;
    }
    Ok(())
}

/// Creates (or resets) a user with a permanent password, optionally in a group.
pub async fn demo_user(
    idp: &cognito::Client,
    pool_id: &str,
    email: &str,
    password: &str,
    group: Option<&str>,
) -> Result<(), BootstrapError> {
    create_user(idp, pool_id, email, None).await?;
    idp.admin_set_user_password()
        .user_pool_id(pool_id)
        .username(email)
        .password(password)
        .permanent(true)
        .send()
        .await
        .map_err(fail("set password"))?;
    if let Some(group) = group {
        add_to_group(idp, pool_id, email, group).await?;
    }
    Ok(())
}

/// Creates a user with a verified email (no invitation mail); false if it already existed.
async fn create_user(idp: &cognito::Client, pool_id: &str, email: &str, temporary_password: Option<&str>) -> Result<bool, BootstrapError> {
    let attr = |name: &str, value: &str| AttributeType::builder().name(name).value(value).build().map_err(fail("attribute"));
    let created = idp
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(email)
        .set_temporary_password(temporary_password.map(str::to_owned))
        .message_action(MessageActionType::Suppress)
        .user_attributes(attr("email", email)?)
        .user_attributes(attr("email_verified", "true")?)
        .send()
        .await;
    match created {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_username_exists_exception()) => Ok(false),
        Err(e) => Err(fail("create user")(e)),
    }
}

async fn add_to_group(idp: &cognito::Client, pool_id: &str, email: &str, group: &str) -> Result<(), BootstrapError> {
    idp.admin_add_user_to_group().user_pool_id(pool_id).username(email).group_name(group).send().await.map_err(fail("add to group"))?;
    Ok(())
}
