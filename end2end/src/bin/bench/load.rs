//! The load bench: `SESSIONS` signed-in sessions browsing the registry, a workspace, its users
//! page and the audit log for `SECONDS` against the local stack, while `LINKERS` of them link and
//! unlink one Linear member each. Figures only: requests served, errors and timeouts, p50/p99 per
//! page, AWS calls per request (moto's recorder over the whole run), and at the end whether the
//! mapping table holds exactly the links the acknowledged actions left (none lost, none doubled).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

pub const SESSIONS: usize = 200;
pub const LINKERS: usize = 4;
pub const SECONDS: u64 = 60;
/// A browser gives up on a page after this long; counted as a timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One page kind's latencies and failures.
#[derive(Default)]
struct PageStats {
    latencies: Vec<Duration>,
    errors: usize,
    timeouts: usize,
}

pub struct Report {
    pub sign_ins: Duration,
    pub refused_sign_ins: usize,
    pub elapsed: Duration,
    pages: Vec<(String, PageStats)>,
    pub aws_calls: Option<usize>,
    pub links: Result<String, String>,
    /// CPU seconds the run took: the console's, this bench's (the 200 browsers), and the machine's
    /// idle time (all cores), from /proc.
    cpu: Cpu,
}

#[derive(Default, Clone, Copy)]
struct Cpu {
    console: f64,
    bench: f64,
    idle: f64,
}

/// Clock ticks per second of /proc's figures (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

fn proc_cpu(path: &str) -> f64 {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let rest: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let n = |i: usize| rest.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (n(11) + n(12)) / TICKS
}

fn idle_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines().next().and_then(|l| l.split_whitespace().nth(4)).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / TICKS
}

fn cpu_now(console: u32) -> Cpu {
    Cpu { console: proc_cpu(&format!("/proc/{console}/stat")), bench: proc_cpu("/proc/self/stat"), idle: idle_cpu() }
}

impl Report {
    pub fn print(&self) {
        let total: usize = self.pages.iter().map(|(_, s)| s.latencies.len()).sum();
        let errors: usize = self.pages.iter().map(|(_, s)| s.errors).sum();
        let timeouts: usize = self.pages.iter().map(|(_, s)| s.timeouts).sum();
        println!(
            "load: {SESSIONS} signed-in sessions ({} sign-ins in {:.1} s, {} refused), {SECONDS} s, {LINKERS} of them linking and unlinking:",
            SESSIONS,
            self.sign_ins.as_secs_f64(),
            self.refused_sign_ins
        );
        println!(
            "  {total} requests served ({:.0} req/s), {errors} errors, {timeouts} timeouts at {} s   (target 0 errors, 0 timeouts)",
            total as f64 / self.elapsed.as_secs_f64(),
            TIMEOUT.as_secs()
        );
        for (page, s) in &self.pages {
            let mut l = s.latencies.clone();
            l.sort();
            println!(
                "  {page:<36} {:>6} served  p50 {:>7.1} ms  p99 {:>7.1} ms  {} errors  {} timeouts",
                l.len(),
                super::percentile(&l, 0.5).as_secs_f64() * 1000.0,
                super::percentile(&l, 0.99).as_secs_f64() * 1000.0,
                s.errors,
                s.timeouts
            );
        }
        match self.aws_calls {
            Some(n) => println!("  AWS calls during the run: {n} ({:.2} per request served)", n as f64 / total.max(1) as f64),
            None => println!("  AWS calls during the run: not recorded"),
        }
        let s = self.elapsed.as_secs_f64();
        println!(
            "  CPU during the run (cores busy on average): the console {:.2}, these 200 browsers {:.2}, idle {:.2} of {} cores",
            self.cpu.console / s,
            self.cpu.bench / s,
            self.cpu.idle / s,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        );
        match &self.links {
            Ok(s) => println!("  links after the run: {s}"),
            Err(e) => println!("  links after the run: WRONG: {e}"),
        }
    }
}

fn client(base: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().expect("the console's origin is a header value"));
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client")
}

/// The demo users' password, as the bootstrap set it.
pub fn demo_password() -> String {
    std::env::var("DEMO_PASSWORD").unwrap_or_else(|_| end2end::bootstrap::DEFAULT_DEMO_PASSWORD.to_owned())
}

/// A browser-like client (cookies, same-site origin, redirects not followed) signed in as the demo admin.
pub async fn signed_in_admin(base: &str) -> Result<reqwest::Client, String> {
    sign_in(base.to_owned(), demo_password()).await.ok_or_else(|| "the demo admin could not sign in".to_owned())
}

async fn sign_in(base: String, password: String) -> Option<reqwest::Client> {
    let c = client(&base);
    let res = c
        .post(format!("{base}/login"))
        .form(&[("email", end2end::bootstrap::ADMIN_EMAIL), ("password", password.as_str())])
        .send()
        .await
        .ok()?;
    let to = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("");
    (res.status().is_redirection() && !to.starts_with("/login")).then_some(c)
}

/// The platform users a linker may link its member to: distinct ones, from the pool's first page.
async fn platform_subs(c: &reqwest::Client, base: &str) -> Result<Vec<String>, String> {
    let res = c
        .post(format!("{base}/api/platform_users"))
        .header("accept", "application/json")
        .form(&[("prefix", "")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.text().await.map_err(|e| e.to_string())?;
    let page: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| format!("platform_users answered {status}: {e}: {}", body.chars().take(200).collect::<String>()))?;
    let users = page["users"].as_array().ok_or("no users in the pool's first page")?;
    Ok(users
        .iter()
        .filter(|u| u["user"]["enabled"].as_bool() == Some(true))
        .filter_map(|u| u["user"]["sub"].as_str().map(str::to_owned))
        .collect())
}

/// The mapping rows of `org`: Linear identity → platform user.
async fn mapping_rows(ddb: &aws_sdk_dynamodb::Client, table: &str, org: &str) -> Result<HashMap<String, Vec<String>>, String> {
    let mut rows: HashMap<String, Vec<String>> = HashMap::new();
    let mut start = None;
    loop {
        let page = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| format!("scan {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
        for item in page.items() {
            let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let identity = s("linear_identity");
            if identity.starts_with(&format!("{org}#")) {
                rows.entry(identity).or_default().push(s("platform_user_id"));
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(rows);
        }
    }
}

/// Runs the load against the console at `base` (signed in as the demo admin, workspace `org`
/// installed) and reports it.
pub async fn run(
    base: &str,
    org: &str,
    ddb: &aws_sdk_dynamodb::Client,
    mapping_table: &str,
    moto: &str,
    console: u32,
) -> Result<Report, String> {
    let password = demo_password();
    let started = Instant::now();
    let mut sessions = Vec::new();
    let mut refused = 0;
    for batch in 0..SESSIONS.div_ceil(20) {
        let n = 20.min(SESSIONS - batch * 20);
        let tries = (0..n).map(|_| sign_in(base.to_owned(), password.clone()));
        for c in futures_join(tries).await {
            match c {
                Some(c) => sessions.push(c),
                None => refused += 1,
            }
        }
    }
    let sign_ins = started.elapsed();
    if sessions.len() < LINKERS + 1 {
        return Err(format!("only {} of {SESSIONS} sign-ins succeeded", sessions.len()));
    }

    // Each linker owns one active Linear member of the workspace and one platform user.
    let subs = platform_subs(&sessions[0], base).await?;
    let members: Vec<String> = end2end::linear::seed::orgs()
        .into_iter()
        .find(|o| o.id == org)
        .map(|o| {
            o.users
                .into_iter()
                .filter(|u| u.active && !u.guest && !u.app && u.name.starts_with("Member "))
                .map(|u| u.id)
                .take(LINKERS)
                .collect()
        })
        .unwrap_or_default();
    let pairs: Vec<(String, String)> = members.into_iter().zip(subs).collect();
    let before = mapping_rows(ddb, mapping_table, org).await?;

    let recorder = reqwest::Client::new();
    let record = |action: &'static str| {
        let (c, moto) = (recorder.clone(), moto.to_owned());
        async move { c.post(format!("{moto}/moto-api/recorder/{action}")).send().await.map(|_| ()).map_err(|e| e.to_string()) }
    };
    let recording = record("reset-recording").await.and(record("start-recording").await).is_ok();

    let pages = vec![
        ("registry".to_owned(), "/workspaces".to_owned()),
        ("a workspace".to_owned(), format!("/workspaces/{org}")),
        ("its users page".to_owned(), format!("/workspaces/{org}/users")),
        ("audit log".to_owned(), "/audit".to_owned()),
        ("link / unlink (form POST)".to_owned(), String::new()),
    ];
    let stats: Arc<Mutex<Vec<PageStats>>> = Arc::new(Mutex::new(pages.iter().map(|_| PageStats::default()).collect()));
    // Per linker's identity: its platform user, whether its last acknowledged action left it linked,
    // and whether an action went unanswered since (timed out: it may or may not have happened).
    let expected: Arc<Mutex<HashMap<String, Expected>>> = Arc::new(Mutex::new(HashMap::new()));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let cpu_start = cpu_now(console);
    let load_start = Instant::now();
    let mut tasks = Vec::new();
    for (i, c) in sessions.into_iter().enumerate() {
        let (base, org, stats, expected) = (base.to_owned(), org.to_owned(), stats.clone(), expected.clone());
        let paths: Vec<String> = pages.iter().map(|(_, p)| p.clone()).collect();
        let pair = pairs.get(i).cloned();
        tasks.push(tokio::spawn(async move {
            // Sessions start spread over the first second, then think between pages.
            let first = rand::rng().random_range(0..1000);
            tokio::time::sleep(Duration::from_millis(first)).await;
            let mut linked = false;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (kind, outcome) = match &pair {
                    Some((member, sub)) => {
                        let (endpoint, want) = if linked { ("unlink_user", "notice=unlinked") } else { ("link_user", "notice=linked") };
                        let form = [("org_id", org.as_str()), ("linear_user_id", member.as_str()), ("platform_user_id", sub.as_str())];
                        // As a browser posts the form (before or without the wasm): the answer is a redirect.
                        let r = c.post(format!("{base}/api/{endpoint}")).header("accept", "text/html").form(&form).send().await;
                        let outcome = r.map(|r| {
                            let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                            (r.status().is_redirection() && to.contains(want), to)
                        });
                        let identity = format!("{org}#{member}");
                        let mut e = expected.lock().unwrap();
                        let entry = e.entry(identity).or_insert(Expected { sub: sub.clone(), linked: false, unsure: false });
                        match &outcome {
                            Ok((true, _)) => {
                                linked = !linked;
                                (entry.linked, entry.unsure) = (linked, false);
                            }
                            // A conflict: an unanswered try did happen; the row is the other way.
                            Ok((false, to)) if to.contains("error=conflict") => {
                                linked = !linked;
                                (entry.linked, entry.unsure) = (linked, true);
                            }
                            Ok(_) => {}
                            Err(_) => entry.unsure = true,
                        }
                        drop(e);
                        (paths.len() - 1, outcome.map(|(ok, _)| ok))
                    }
                    None => {
                        let kind = rand::rng().random_range(0..paths.len() - 1);
                        let r = c.get(format!("{base}{}", paths[kind])).send().await;
                        let outcome = match r {
                            Ok(r) if r.status().is_success() => r.bytes().await.map(|_| true),
                            Ok(_) => Ok(false),
                            Err(e) => Err(e),
                        };
                        (kind, outcome)
                    }
                };
                let took = t.elapsed();
                {
                    let mut s = stats.lock().unwrap();
                    match outcome {
                        Ok(true) => s[kind].latencies.push(took),
                        Ok(false) => s[kind].errors += 1,
                        Err(e) if e.is_timeout() => s[kind].timeouts += 1,
                        Err(_) => s[kind].errors += 1,
                    }
                }
                let think = rand::rng().random_range(500..1500);
                tokio::time::sleep(Duration::from_millis(think)).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = load_start.elapsed();
    let cpu_end = cpu_now(console);
    let cpu =
        Cpu { console: cpu_end.console - cpu_start.console, bench: cpu_end.bench - cpu_start.bench, idle: cpu_end.idle - cpu_start.idle };
    let aws_calls = if recording {
        let _ = record("stop-recording").await;
        match recorder.get(format!("{moto}/moto-api/recorder/download-recording")).send().await {
            Ok(r) => r.text().await.ok().map(|t| t.lines().filter(|l| !l.trim().is_empty()).count()),
            Err(_) => None,
        }
    } else {
        None
    };

    let after = mapping_rows(ddb, mapping_table, org).await?;
    let expected = expected.lock().unwrap().clone();
    let links = check_links(&before, &after, &expected);
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    Ok(Report {
        sign_ins,
        refused_sign_ins: refused,
        elapsed,
        pages: pages.into_iter().map(|(name, _)| name).zip(stats).collect(),
        aws_calls,
        links,
        cpu,
    })
}

/// Every identity the linkers did not touch holds the rows it held before; each one they did holds
/// exactly the link its last acknowledged action left, once.
/// What a linker's identity should hold after the run.
#[derive(Clone)]
struct Expected {
    sub: String,
    linked: bool,
    unsure: bool,
}

fn check_links(
    before: &HashMap<String, Vec<String>>,
    after: &HashMap<String, Vec<String>>,
    expected: &HashMap<String, Expected>,
) -> Result<String, String> {
    for (identity, rows) in before {
        if !expected.contains_key(identity) && after.get(identity) != Some(rows) {
            return Err(format!("{identity} changed though no linker touched it: {rows:?} -> {:?}", after.get(identity)));
        }
    }
    let mut unsure = 0;
    for (identity, e) in expected {
        let got = after.get(identity).cloned().unwrap_or_default();
        let linked = vec![e.sub.clone()];
        // After an unanswered try either state is right, but never two rows or another user.
        if e.unsure {
            unsure += 1;
            if !(got.is_empty() || got == linked) {
                return Err(format!("{identity}: expected nothing or {linked:?}, found {got:?}"));
            }
        } else if got != if e.linked { linked.clone() } else { Vec::new() } {
            return Err(format!("{identity}: expected {}, found {got:?}", if e.linked { format!("{linked:?}") } else { "nothing".into() }));
        }
    }
    Ok(format!(
        "as expected ({} identities of the workspace; the {} the linkers changed hold their last acknowledged link, {unsure} of them after an unanswered try)",
        after.len(),
        expected.len()
    ))
}

async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}
