use std::collections::HashMap;
use std::sync::OnceLock;

use end2end::bootstrap::{ADMIN_EMAIL, USER_EMAIL};
use end2end::{Local, Moto};
use reqwest::redirect::Policy;
use server::config::Config;
use server::state::AwsClients;

pub const PASSWORD: &str = "Test-password-1";

static MOTO: OnceLock<Moto> = OnceLock::new();

pub fn moto_endpoint() -> String {
    MOTO.get_or_init(|| Moto::start().expect("start moto (run `make setup` first)")).endpoint.clone()
}

pub struct TestApp {
    pub base: String,
    pub local: Local,
    pub aws: AwsClients,
    /// A browser-like client: keeps cookies, follows no redirects, sends our Origin.
    pub client: reqwest::Client,
}

fn unique_prefix() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// Bootstraps a fresh prefix and serves the console for it on a free port.
pub async fn spawn_app() -> TestApp {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    spawn_app_for(local, &[]).await
}

/// Serves another console instance over the same AWS resources (`extra` overrides env).
pub async fn spawn_app_for(local: Local, extra: &[(&str, &str)]) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut env: HashMap<String, String> = local.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    env.insert("CONSOLE_ADDR".into(), addr.to_string());
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Config::from_map(&env).expect("config");
    let public_origin = config.public_origin();
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    let aws = AwsClients::from_sdk(&sdk);
    let options = server::leptos_options(&config);
    let state = server::build_state_with(config, options, aws.clone());
    tokio::spawn(async move {
        axum::serve(listener, server::router(state)).await.unwrap();
    });
    TestApp { base: format!("http://{addr}"), local, aws, client: browser(&public_origin) }
}

pub fn browser(origin: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", origin.parse().unwrap());
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).default_headers(headers).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn sign_in_with(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        client
            .post(self.url("/login"))
            .form(&[("email", email), ("password", password), ("next", "/audit")])
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.client, email, password).await
    }

    pub async fn sign_in_admin(&self) {
        let res = self.sign_in(ADMIN_EMAIL, PASSWORD).await;
        assert_eq!(location(&res), "/audit", "admin sign-in failed");
    }

    pub async fn sign_in_user(&self) -> reqwest::Response {
        self.sign_in(USER_EMAIL, PASSWORD).await
    }

    pub async fn call(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.post(self.url(path)).header("content-type", "application/x-www-form-urlencoded").body("").send().await.unwrap()
    }

    pub fn idp(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        &self.aws.cognito
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

pub fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned())
}
