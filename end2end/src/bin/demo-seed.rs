//! `demo-seed`: run by `make run` once the console answers, so the first look shows real states:
//! it installs workspaces through the Linear stand-in as an admin would (consent and callback),
//! one healthy, one whose token expires within the hour, and one whose grant the stand-in then
//! revokes (its *Check now* opens an incident, which alerts the bootstrap's SNS topic); and it links
//! the suggested members of the healthy one. The fixture rows stay as the bootstrap wrote them.
//! Then it writes what the platform's webhook processor logs when it drops a request into the
//! processor's log group (`LOCAL_PROCESSOR_LOG_GROUP`): the healthy workspace's two members who
//! are not linked asked for work, and issues in its project that is not mapped and in no project.
//!
//! Environment: CONSOLE_BASE, LINEAR_BASE_URL, DEMO_PASSWORD, LOCAL_PROCESSOR_LOG_GROUP,
//! AWS_ENDPOINT_URL, AWS_REGION.
use reqwest::redirect::Policy;
use reqwest::Client;

use end2end::linear::seed::INITRODE_ID;

/// Two workspaces of the demo's own (added to the stand-in here).
const GLOBEX_ID: &str = "61084e0b-0000-4000-8000-00000000de01";
const UMBRELLA_ID: &str = "0b1e2e11-0000-4000-8000-00000000de02";

struct Demo {
    base: String,
    linear: String,
    browser: Client,
    plain: Client,
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

impl Demo {
    async fn control(&self, path: &str, body: serde_json::Value) -> Result<(), String> {
        let res = self.plain.post(format!("{}/_control/{path}", self.linear)).json(&body).send().await.map_err(|e| e.to_string())?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("stand-in {path}: {}", res.status()))
        }
    }

    /// A consent for `org_id` through the stand-in, as the browser would go through it.
    async fn install(&self, org_id: &str) -> Result<(), String> {
        let res = self
            .browser
            .post(format!("{}/linear/connect", self.base))
            .form(&[("workspace", "")])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let back = end2end::linear::consent(&self.plain, &self.linear, &location(&res), org_id).await?;
        let res = self.browser.get(back).send().await.map_err(|e| e.to_string())?;
        let to = location(&res);
        if to.contains("notice=") {
            Ok(())
        } else {
            Err(format!("install of {org_id} ended at {to}"))
        }
    }

    /// Maps the workspace's project named `name` to `repo`.
    async fn map_project(&self, org_id: &str, name: &str, repo: &str) -> Result<(), String> {
        let body = format!("org_id={org_id}&query[q]={}&query[page]=0", end2end::url_encode(name));
        let res = self
            .browser
            .post(format!("{}/api/workspace_projects", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let page: serde_json::Value = res.json().await.map_err(|e| format!("projects: {e}"))?;
        let rows = page["rows"].as_array().cloned().unwrap_or_default();
        let found = rows.iter().find(|p| p["name"] == name).and_then(|p| p["id"].as_str()).ok_or(format!("no project {name}"))?.to_owned();
        self.call("map_project", &[("org_id", org_id), ("project_id", &found), ("repo", repo), ("version", "new")]).await
    }

    async fn call(&self, function: &str, form: &[(&str, &str)]) -> Result<(), String> {
        let res = self.browser.post(format!("{}/api/{function}", self.base)).form(form).send().await.map_err(|e| e.to_string())?;
        if res.status().is_success() || res.status().is_redirection() {
            Ok(())
        } else {
            Err(format!("{function}: {}", res.status()))
        }
    }
}

async fn seed() -> Result<(), String> {
    let base = std::env::var("CONSOLE_BASE").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let linear = std::env::var("LINEAR_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3100".into());
    let password = std::env::var("DEMO_PASSWORD").unwrap_or_else(|_| end2end::bootstrap::DEFAULT_DEMO_PASSWORD.into());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().map_err(|_| "CONSOLE_BASE is not a URL")?);
    let browser =
        Client::builder().cookie_store(true).redirect(Policy::none()).default_headers(headers).build().map_err(|e| e.to_string())?;
    let plain = Client::builder().redirect(Policy::none()).build().map_err(|e| e.to_string())?;
    let demo = Demo { base: base.clone(), linear, browser, plain };

    let res = demo
        .browser
        .post(format!("{base}/login"))
        .form(&[("email", end2end::bootstrap::ADMIN_EMAIL), ("password", password.as_str()), ("next", "/workspaces")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if location(&res) != "/workspaces" {
        return Err("the demo admin could not sign in".into());
    }
    // Url keys of their own: the fixture's rows already claim `globex` and `umbrella`, and two active
    // rows claiming one key break the platform's lookups by slug.
    let globex = serde_json::json!({ "id": GLOBEX_ID, "name": "Globex Labs", "url_key": "globex-labs", "teams": ["OPS"], "projects": ["Ops portal", "Billing"] });
    demo.control("org", globex).await?;
    let umbrella = serde_json::json!({ "id": UMBRELLA_ID, "name": "Umbrella Corp", "url_key": "umbrella-corp", "teams": ["LAB"] });
    demo.control("org", umbrella).await?;

    // Healthy, with its suggested links made and a project mapped to an onboarded repository.
    demo.install(INITRODE_ID).await?;
    demo.call("link_suggested", &[("org_id", INITRODE_ID)]).await?;
    demo.map_project(INITRODE_ID, "Core platform", "initrode/core").await?;
    // Expiring soon: Linear issues its token for 40 minutes.
    demo.control("token-lifetime", serde_json::json!({ "seconds": 2400 })).await?;
    demo.install(GLOBEX_ID).await?;
    demo.control("token-lifetime", serde_json::json!({ "seconds": 86_399 })).await?;
    // Needs reconnect: the grant dies at Linear; the check finds it and opens an incident.
    demo.install(UMBRELLA_ID).await?;
    demo.control("revoke-grant", serde_json::json!({ "org_id": UMBRELLA_ID })).await?;
    demo.call("check_workspace", &[("org_id", UMBRELLA_ID)]).await?;
    for org in [INITRODE_ID, GLOBEX_ID] {
        demo.call("check_workspace", &[("org_id", org)]).await?;
    }
    dropped().await
}

/// The processor's lines for initrode: Pat asked three times, Ira once by a comment, two issues in
/// its project Billing (not mapped), one issue in no project; spread over the last days.
async fn dropped() -> Result<(), String> {
    use end2end::processor::{now_ms, write, Dropped};
    let Ok(group) = std::env::var("LOCAL_PROCESSOR_LOG_GROUP") else { return Ok(()) };
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let orgs = end2end::linear::seed::orgs();
    let initrode = orgs.iter().find(|o| o.id == INITRODE_ID).ok_or("no initrode in the stand-in's seed")?;
    let user = |email: &str| initrode.users.iter().find(|u| u.email == email).map(|u| u.id.clone()).ok_or(format!("no {email}"));
    let (pat, ira) = (user("pat@initrode.example")?, user("ira@initrode.example")?);
    let billing = initrode.projects.iter().find(|p| p.name == "Billing").map(|p| p.id.clone()).ok_or("no Billing project")?;
    let (hour, now) = (3_600_000, now_ms());
    let lines = [
        (now - 50 * hour, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: "d1e5a0c1-0000-4000-8000-000000000001" }),
        (now - 26 * hour, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: "d1e5a0c1-0000-4000-8000-000000000002" }),
        (now - 2 * hour, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: "d1e5a0c1-0000-4000-8000-000000000003" }),
        (now - 5 * hour, Dropped::UnlinkedCommenter { org: INITRODE_ID, user: &ira, issue: "d1e5a0c1-0000-4000-8000-000000000004" }),
        (now - 30 * hour, Dropped::UnmappedProject { project: &billing, issue: "d1e5a0c1-0000-4000-8000-000000000005" }),
        (now - 3 * hour, Dropped::UnmappedProject { project: &billing, issue: "d1e5a0c1-0000-4000-8000-000000000006" }),
        (now - 4 * hour, Dropped::NoProject { issue: "d1e5a0c1-0000-4000-8000-000000000007" }),
    ];
    let lines: Vec<(i64, String)> = lines.iter().map(|(at, d)| (*at, d.line())).collect();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&end2end::sdk_config(&endpoint, &region).await);
    write(&logs, &group, &lines).await.map_err(|e| format!("the processor's lines: {e}"))
}

#[tokio::main]
async fn main() {
    match seed().await {
        Ok(()) => {
            println!(
                "demo-seed: initrode (healthy, members linked, a project mapped, requests the platform dropped), globex-labs (expiring soon), umbrella-corp (grant revoked: an open incident)"
            )
        }
        Err(e) => {
            eprintln!("demo-seed: {e}");
            std::process::exit(1);
        }
    }
}
