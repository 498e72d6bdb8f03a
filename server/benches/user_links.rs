//! `cargo bench -p server --bench user_links` (run by `make bench`): 5,000 Linear members ×
//! 5,000 pool users. Prints the matching time and the server time to build one 100-row page
//! from the cached members and pool (matching, counts, paging and the wire type's JSON); the
//! mapping rows (1,000 links, 200 invites) are given, as a DynamoDB read would return them.
//! Prints figures; asserts only that the work was real (the counts).
use std::time::{Duration, Instant};

use app::user_links_view::UsersQuery;
use console_core::ids::{InviteCode, LinearUserId, LinkKey, OrgId, PlatformUserId};
use console_core::link_states::{rows, LinkState, PlatformIndex};
use console_core::records::members::{LinearUser, PlatformUser};
use console_core::records::user_mapping::{Invite, Link};
use console_core::services::user_links::Members;
use end2end::figures::{ms, percentile};

const N: usize = 5_000;
const RUNS: usize = 60;
const ORG: &str = "4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d";

fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(std::hint::black_box(f()));
        times.push(t.elapsed());
    }
    times.sort();
    (times, last.expect("runs > 0"))
}

fn main() {
    let linear: Vec<LinearUser> = (0..N)
        .map(|n| LinearUser {
            id: format!("00000000-0000-4000-8000-{n:012}"),
            name: format!("Member {n}"),
            email: Some(if n % 2 == 0 { format!("Member{n}@Acme.Example") } else { format!("other{n}@linear.example") }),
            display_name: Some(format!("m{n}")),
            active: n % 25 != 0,
            admin: false,
            guest: n % 100 == 1,
            app: n == 3,
        })
        .collect();
    let pool: Vec<PlatformUser> = (0..N)
        .map(|n| PlatformUser {
            sub: format!("sub-{n}"),
            email: Some(format!("member{n}@acme.example")),
            enabled: n % 50 != 0,
            status: "CONFIRMED".into(),
        })
        .collect();
    let links: Vec<Link> = (0..1_000)
        .map(|n| Link {
            key: LinkKey::new(OrgId::parse(ORG).unwrap(), LinearUserId::parse(&format!("00000000-0000-4000-8000-{:012}", n * 5)).unwrap()),
            platform_user_id: PlatformUserId::parse(&format!("sub-{}", n * 5)).unwrap(),
            linked_at: Some("2026-11-01T00:00:00Z".into()),
            link_method: Some("cli".into()),
            status: Some("active".into()),
            linked_by: None,
        })
        .collect();
    let invites: Vec<Invite> = (0..200)
        .map(|n| Invite {
            code: InviteCode::parse("link-abcdefgh").unwrap(),
            org_id: Some(ORG.into()),
            org_slug: Some("acme-eng".into()),
            user_id: Some(format!("00000000-0000-4000-8000-{:012}", n * 7 + 1)),
            user_name: None,
            user_email: None,
            invited_at: Some("2026-11-22T00:00:00Z".into()),
            invited_by: None,
            ttl: Some(1_800_000_000 + (n as i64 % 2) * 1_000_000),
        })
        .collect();
    let now = 1_800_000_500;

    let (index_times, index) = timed(20, || PlatformIndex::new(pool.clone()));
    let (match_times, all) = timed(RUNS, || rows(&linear, &links, &invites, &index, now));
    let n = |s: LinkState| all.iter().filter(|r| r.state == s).count();
    let c: Vec<(LinkState, usize)> = LinkState::ALL.iter().map(|s| (*s, n(*s))).collect();
    assert_eq!(all.len(), N);
    assert!(n(LinkState::Suggested) > 1_000 && n(LinkState::Linked) > 500, "{c:?}");

    let query = UsersQuery { q: String::new(), state: None, page: 7 };
    let (page_times, bytes) = timed(RUNS, || {
        let members = Members {
            org_id: OrgId::parse(ORG).unwrap(),
            slug: Some("acme-eng".into()),
            read_only: false,
            fetched_at: None,
            linear_error: None,
            rows: rows(&linear, &links, &invites, &index, now),
            invites: Vec::new(),
            unmatched: 0,
            now,
        };
        let wire = app::edge::convert::members(members, &query, "bgagent linear link {code}");
        serde_json::to_vec(&wire).map(|v| v.len()).unwrap_or(0)
    });

    println!("user links: {N} Linear members x {N} pool users, 1,000 links, 200 invites");
    println!("  pool index build (once per pool fetch): p50 {:.2} ms", ms(percentile(&index_times, 0.5)));
    println!(
        "  matching (every member's state): p50 {:.2} ms, p99 {:.2} ms  (target <= 20 ms)",
        ms(percentile(&match_times, 0.5)),
        ms(percentile(&match_times, 0.99))
    );
    println!(
        "  one 100-row page from cache (matching + counts + page + JSON, {bytes} bytes): p50 {:.2} ms, p99 {:.2} ms  (target <= 30 ms)",
        ms(percentile(&page_times, 0.5)),
        ms(percentile(&page_times, 0.99))
    );
    println!("  states: {c:?}");
}
