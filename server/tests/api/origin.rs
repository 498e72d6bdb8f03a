//! Only CloudFront reaches the console when `CONSOLE_ORIGIN_SECRET_ARN` is set: a request without
//! the secret origin header is a 403 that says nothing; with it, the forwarded address is the
//! client's; a rotation is accepted without downtime (the current and previous values).
use end2end::bootstrap::OPERATOR_EMAIL;

use crate::helpers::*;

/// A browser-like client whose requests carry `secret` as CloudFront's origin header (if any) and
/// `forwarded` as `X-Forwarded-For`.
fn through_cloudfront(app: &TestApp, secret: Option<&str>, forwarded: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", app.base.parse().unwrap());
    headers.insert("x-forwarded-for", forwarded.parse().unwrap());
    if let Some(s) = secret {
        headers.insert("x-origin-verify", s.parse().unwrap());
    }
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).default_headers(headers).build().unwrap()
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn without_the_origin_header_nothing_is_reached_and_with_it_the_forwarded_address_counts() {
    let base = spawn_app().await;
    let name = format!("{}-origin", base.local.registry_table);
    let arn = base.aws.secrets.create_secret().name(&name).secret_string("first-value-2b7c1e").send().await.unwrap().arn.unwrap();
    let env =
        [("CONSOLE_ORIGIN_SECRET_ARN", arn.as_str()), ("CONSOLE_ORIGIN_SECRET_REFRESH_SECONDS", "1"), ("CONSOLE_TRUSTED_PROXY_HOPS", "2")];
    let app = spawn_app_for(base.local.clone(), &env).await;

    // Straight to the function URL: no header, an empty one, a wrong one. Every path, the probes too.
    let direct = through_cloudfront(&app, None, "198.51.100.7");
    for path in ["/login", "/healthz", "/workspaces", "/pkg/app.css"] {
        let res = direct.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body = res.text().await.unwrap();
        assert_eq!(body, "Forbidden", "the refusal says nothing of why");
    }
    let posted = direct.post(app.url("/login")).form(&[("email", OPERATOR_EMAIL), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(posted.status(), 403);
    assert_eq!(status(&through_cloudfront(&app, Some("first-value-2b7c1"), "198.51.100.7"), app.url("/login")).await, 403);

    // Through CloudFront: the viewer's address is the one CloudFront appended (two hops from the right).
    let viewer = through_cloudfront(&app, Some("first-value-2b7c1e"), "10.9.9.9, 198.51.100.7, 130.176.0.1");
    assert_eq!(status(&viewer, app.url("/login")).await, 200);
    app.sign_in_with(&viewer, OPERATOR_EMAIL, PASSWORD).await;
    let sessions: Vec<app::wire::SessionView> = call_json(&app, &viewer, "/api/my_sessions", "").await;
    assert_eq!(sessions[0].address, "198.51.100.7", "the address the client chose (10.9.9.9) is not the one kept");

    // A rotation: the new value and the one before are both accepted; one rotation later the first is not.
    base.aws.secrets.put_secret_value().secret_id(&arn).secret_string("second-value-9f41aa").send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for (value, expected) in [("second-value-9f41aa", 200), ("first-value-2b7c1e", 200)] {
        assert_eq!(status(&through_cloudfront(&app, Some(value), "198.51.100.7"), app.url("/login")).await, expected, "{value}");
    }
    base.aws.secrets.put_secret_value().secret_id(&arn).secret_string("third-value-04d2c8").send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    for (value, expected) in [("third-value-04d2c8", 200), ("second-value-9f41aa", 200), ("first-value-2b7c1e", 403)] {
        assert_eq!(status(&through_cloudfront(&app, Some(value), "198.51.100.7"), app.url("/login")).await, expected, "{value}");
    }
    // The signed-in viewer's session went on across the rotation (CloudFront sends the new value).
    let viewer = through_cloudfront(&app, Some("third-value-04d2c8"), "10.9.9.9, 198.51.100.7, 130.176.0.1");
    assert_eq!(status(&viewer, app.url("/login")).await, 200);
}

#[tokio::test]
async fn an_unreadable_origin_secret_refuses_everything_and_says_so_in_the_log_only() {
    let base = spawn_app().await;
    let app = spawn_app_for(
        base.local.clone(),
        &[("CONSOLE_ORIGIN_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf")],
    )
    .await;
    let client = through_cloudfront(&app, Some("anything"), "198.51.100.7");
    let res = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.text().await.unwrap(), "Unavailable");
}
