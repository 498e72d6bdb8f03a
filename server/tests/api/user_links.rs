//! Linking Linear users to platform users, against moto and the Linear stand-in (260 members
//! in acme-eng, fetched over three pages): states, suggestions, conditional links and
//! unlinks, concurrent links from two consoles, invites, stale links, bulk linking, `/users`.
use std::collections::HashMap;

use app::user_links_view::{LinkOutcome, LinkResult, LinkState, PlatformUserPage, WorkspaceUsers};
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::{ACME_ID, INITRODE_ID};

use crate::contract::{invite_redeemable, platform_accepts};
use crate::helpers::*;

type Item = HashMap<String, AttributeValue>;

/// Seed ids (end2end/src/linear/seed.rs).
fn member(n: u32) -> String {
    let ns = 0xacceu32;
    format!("{ns:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", n & 0xffff, n % 0xfff, ns % 0xfff, n as u64 * 7919)
}

async fn installed(app: &TestApp, org_id: &str) {
    let res = app.consent(None, org_id, "authorize").await;
    assert!(location(&res).contains("notice=installed"), "{}", location(&res));
}

/// A pool user with this email; returns its sub.
async fn pool_user(app: &TestApp, email: &str) -> String {
    let attr = |n: &str, v: &str| aws_sdk_cognitoidentityprovider::types::AttributeType::builder().name(n).value(v).build().unwrap();
    let out = app
        .idp()
        .admin_create_user()
        .user_pool_id(&app.local.user_pool_id)
        .username(email)
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .user_attributes(attr("email", email))
        .send()
        .await
        .unwrap();
    let user = out.user.unwrap();
    user.attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).unwrap().to_owned()
}

async fn sub_of(app: &TestApp, email: &str) -> String {
    let out = app.idp().admin_get_user().user_pool_id(&app.local.user_pool_id).username(email).send().await.unwrap();
    out.user_attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).unwrap().to_owned()
}

async fn fn_call(app: &TestApp, path: &str, body: String) -> reqwest::Response {
    app.client.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap()
}

async fn users(app: &TestApp, org_id: &str, state: &str, page: usize) -> WorkspaceUsers {
    let res = fn_call(app, "/api/workspace_users", format!("org_id={org_id}&query[q]=&query[state]={state}&query[page]={page}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Posts one of the users pages' forms (named by the page it is on and its button) as the browser
/// does before the wasm loads: to its server function, with the workspace id as the form's hidden
/// field. Answers where the redirect goes.
async fn post(app: &TestApp, form: &str, fields: &[(&str, &str)]) -> String {
    if form == "/users/unlink" {
        return app.submit("unlink_identity", fields).await;
    }
    let rest = form.strip_prefix("/workspaces/").unwrap_or_else(|| panic!("not a users page form: {form}"));
    let (org_id, button) = rest.split_once("/users/").unwrap_or_else(|| panic!("not a users page form: {form}"));
    let endpoint = match button {
        "link" => "link_user",
        "unlink" => "unlink_user",
        "link-suggested" => "link_suggested",
        "invite" => "invite_user",
        "invites/revoke" => "revoke_invite",
        "reload" => "reload_users",
        other => panic!("no such form: {other}"),
    };
    let mut all = vec![("org_id", org_id)];
    all.extend_from_slice(fields);
    app.submit(endpoint, &all).await
}

async fn mapping(app: &TestApp, key: &str) -> Option<Item> {
    let out = app
        .aws
        .dynamodb
        .get_item()
        .table_name(&app.local.user_mapping_table)
        .key("linear_identity", AttributeValue::S(key.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item
}

async fn mapping_count(app: &TestApp) -> usize {
    app.aws.dynamodb.scan().table_name(&app.local.user_mapping_table).send().await.unwrap().items().len()
}

fn count(w: &WorkspaceUsers, s: LinkState) -> usize {
    w.counts.iter().find(|(x, _)| *x == s).unwrap().1
}

#[tokio::test]
async fn every_member_is_listed_with_its_state_and_email_matches_suggest_links() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let m6 = pool_user(&app, "member006@acme.example").await;
    let m7 = pool_user(&app, "MEMBER007@ACME.EXAMPLE").await;
    // A link the platform's CLI wrote (fixture shape) for member 8.
    let cli = format!("{ACME_ID}#{}", member(8));
    let item: Item = [
        ("linear_identity", cli.as_str()),
        ("platform_user_id", m6.as_str()),
        ("linear_workspace_id", ACME_ID),
        ("linear_user_id", &member(8)),
        ("status", "active"),
        ("link_method", "cli"),
        ("linked_at", "2026-07-30T09:20:00Z"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
    .collect();
    app.aws.dynamodb.put_item().table_name(&app.local.user_mapping_table).set_item(Some(item)).send().await.unwrap();

    let w = users(&app, ACME_ID, "", 0).await;
    let total: usize = w.counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 260, "all three GraphQL pages of members, disabled ones included");
    assert_eq!((w.rows.len(), w.pages), (100, 3));
    assert_eq!(count(&w, LinkState::NotLinkable), 2, "the guest and the app bot");
    assert_eq!(count(&w, LinkState::Linked), 1);
    // admin@ and User@Example.com (case differs) match the demo users; member006 and MEMBER007 too.
    assert_eq!(count(&w, LinkState::Suggested), 4);
    let suggested = users(&app, ACME_ID, "suggested", 0).await;
    let pairs: HashMap<String, String> = suggested.rows.iter().map(|r| (r.user.id.clone(), r.platform_user.clone().unwrap().sub)).collect();
    assert_eq!(pairs[&member(6)], m6);
    assert_eq!(pairs[&member(7)], m7);
    assert_eq!(pairs[&member(2)], sub_of(&app, "user@example.com").await);
    let linked = users(&app, ACME_ID, "linked", 0).await;
    assert_eq!(linked.rows[0].platform_user.as_ref().unwrap().email.as_deref(), Some("member006@acme.example"));
    assert_eq!(linked.rows[0].link_method.as_deref(), Some("cli"));
    // Disabled members are marked and not suggested.
    let unlinked = users(&app, ACME_ID, "unlinked", 0).await;
    assert!(unlinked.rows.iter().any(|r| r.user.id == member(25) && !r.user.active));

    // The page renders them (server-side, before any wasm).
    let html = app.client.get(app.url(&format!("/workspaces/{ACME_ID}/users?state=suggested"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Link to member006@acme.example"), "the suggestion's button");
    assert!(html.contains("Link all suggested (4)"));
}

#[tokio::test]
async fn link_is_conditional_change_and_unlink_are_guarded_and_each_is_audited() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let a = pool_user(&app, "member006@acme.example").await;
    let b = pool_user(&app, "someone.else@acme.example").await;
    let base = format!("/workspaces/{ACME_ID}/users");
    let m6 = member(6);
    let key = format!("{ACME_ID}#{m6}");

    let loc =
        post(&app, &format!("{base}/link"), &[("linear_user_id", &m6), ("platform_user_id", &a), ("state", "suggested"), ("page", "1")])
            .await;
    assert_eq!(loc, format!("{base}?state=suggested&notice=linked&who={m6}"), "back to the same view (page 1 is the plain one)");
    let row = mapping(&app, &key).await.unwrap();
    assert_eq!(platform_accepts(&row).as_deref(), Some(a.as_str()), "the platform accepts the new link");
    for (k, v) in
        [("linear_workspace_id", ACME_ID), ("linear_user_id", m6.as_str()), ("status", "active"), ("link_method", "admin_dashboard")]
    {
        assert_eq!(row[k].as_s().unwrap(), v, "{k}");
    }
    assert!(console_core::time::parse_iso(row["linked_at"].as_s().unwrap()).is_some());

    // A second link of the same member does not overwrite it.
    let loc = post(&app, &format!("{base}/link"), &[("linear_user_id", &m6), ("platform_user_id", &b)]).await;
    assert!(loc.ends_with(&format!("error=conflict&who={m6}")), "{loc}");
    assert_eq!(platform_accepts(&mapping(&app, &key).await.unwrap()).as_deref(), Some(a.as_str()));
    // Change with a stale expectation: refused; with the right one: replaced.
    let loc =
        post(&app, &format!("{base}/link"), &[("linear_user_id", &m6), ("platform_user_id", &b), ("replace", "not-the-holder")]).await;
    assert!(loc.contains("error=conflict"), "{loc}");
    let loc = post(&app, &format!("{base}/link"), &[("linear_user_id", &m6), ("platform_user_id", &b), ("replace", &a)]).await;
    assert!(loc.contains("notice=changed"), "{loc}");
    assert_eq!(platform_accepts(&mapping(&app, &key).await.unwrap()).as_deref(), Some(b.as_str()));
    // Unlink guarded by the platform user the page showed.
    let loc = post(&app, &format!("{base}/unlink"), &[("linear_user_id", &m6), ("platform_user_id", &a)]).await;
    assert!(loc.contains("error=conflict"), "{loc}");
    assert!(mapping(&app, &key).await.is_some());
    let loc = post(&app, &format!("{base}/unlink"), &[("linear_user_id", &m6), ("platform_user_id", &b)]).await;
    assert!(loc.contains("notice=unlinked"), "{loc}");
    assert!(mapping(&app, &key).await.is_none());

    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let got: Vec<(&str, &str)> =
        events.iter().filter(|e| e.action.starts_with("user.")).map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("user.unlink", "success"),
            ("user.unlink", "refused"),
            ("user.link_change", "success"),
            ("user.link_change", "refused"),
            ("user.link", "refused"),
            ("user.link", "success")
        ],
        "newest first"
    );
}

#[tokio::test]
async fn two_consoles_linking_the_same_member_at_once_leave_exactly_one_link() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let other = spawn_app_sharing(&app).await;
    other.sign_in_admin().await;
    let a = pool_user(&app, "member010@acme.example").await;
    let b = pool_user(&app, "member011@acme.example").await;
    for round in 0..10u32 {
        let m = member(30 + round);
        let path = format!("/workspaces/{ACME_ID}/users/link");
        let (fa, fb) = (
            [("linear_user_id", m.as_str()), ("platform_user_id", a.as_str())],
            [("linear_user_id", m.as_str()), ("platform_user_id", b.as_str())],
        );
        let (x, y) = tokio::join!(post(&app, &path, &fa), post(&other, &path, &fb));
        let wins = [&x, &y].iter().filter(|l| l.contains("notice=linked")).count();
        let conflicts = [&x, &y].iter().filter(|l| l.contains("error=conflict")).count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {x} / {y}");
        let holder = platform_accepts(&mapping(&app, &format!("{ACME_ID}#{m}")).await.unwrap()).unwrap();
        assert_eq!(holder, if x.contains("notice=linked") { a.clone() } else { b.clone() }, "the winner's link stands");
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_refusal_and_writes_nothing() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let sub = pool_user(&app, "member012@acme.example").await;
    let disabled = pool_user(&app, "member013@acme.example").await;
    app.idp().admin_disable_user().user_pool_id(&app.local.user_pool_id).username("member013@acme.example").send().await.unwrap();
    let base = format!("/workspaces/{ACME_ID}/users");
    // (where the form posts, its fields, the refusal it must get)
    type Case<'a> = (String, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("/workspaces/{INITRODE_ID}/users/link"),
            vec![("linear_user_id", member(12)), ("platform_user_id", sub.clone())],
            "error=unknown_workspace",
        ),
        (
            format!("{base}/link"),
            vec![("linear_user_id", "00000000-0000-4000-8000-00000000dead".into()), ("platform_user_id", sub.clone())],
            "error=unknown_linear_user",
        ),
        (
            format!("{base}/link"),
            vec![("linear_user_id", member(12)), ("platform_user_id", "not-a-sub".into())],
            "error=unknown_platform_user",
        ),
        (
            format!("{base}/link"),
            vec![("linear_user_id", member(12)), ("platform_user_id", disabled.clone())],
            "error=platform_user_disabled",
        ),
        (format!("{base}/link"), vec![("linear_user_id", member(4)), ("platform_user_id", sub.clone())], "error=not_linkable"),
        (format!("{base}/link"), vec![("linear_user_id", member(25)), ("platform_user_id", sub.clone())], "error=not_linkable"),
        (format!("{base}/invite"), vec![("linear_user_id", member(5))], "error=not_linkable"),
        (format!("{base}/invites/revoke"), vec![("code", "link-0000000".into())], "error=bad_identity"),
        ("/users/unlink".to_owned(), vec![("identity", "no-separator".into()), ("platform_user_id", sub.clone())], "error=bad_identity"),
    ];
    for (path, form, expected) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let loc = post(&app, &path, &form).await;
        assert!(loc.contains(expected), "{path} {form:?}: {loc}");
    }
    assert_eq!(mapping_count(&app).await, 0, "nothing was written");
    let page = app.client.get(app.url(&format!("{base}?error=unknown_linear_user"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("not a member of this workspace"), "the page says why");

    // A revoked workspace: read-only, with a banner; links cannot be created.
    let slug = app.linear.slug(ACME_ID).await;
    app.submit("remove_workspace", &[("org_id", ACME_ID), ("confirm", slug.as_str()), ("mode", "revoke")]).await;
    let loc = post(&app, &format!("{base}/link"), &[("linear_user_id", &member(12)), ("platform_user_id", &sub)]).await;
    assert!(loc.contains("error=read_only"), "{loc}");
    let w = users(&app, ACME_ID, "", 0).await;
    assert!(w.read_only.is_some(), "the banner");
    assert!(count(&w, LinkState::Unlinked) > 200, "members fetched before the revocation are still listed");
    // A console without those cached members has no token to ask Linear with: it says so.
    let other = spawn_app_sharing(&app).await;
    other.sign_in_admin().await;
    let w = users(&other, ACME_ID, "", 0).await;
    assert!(w.read_only.is_some() && w.linear_error.is_some(), "{w:?}");
    let html = app.client.get(app.url(&base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"read-only\""));
    assert_eq!(mapping_count(&app).await, 0);
}

#[tokio::test]
async fn invites_follow_the_platforms_rules_and_expired_ones_are_deleted() {
    // An invite is written behind the console's back below, as the platform would: nothing reused.
    let app = spawn_app_without_caches().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let base = format!("/workspaces/{ACME_ID}/users");
    let m3 = member(3);
    let loc = post(&app, &format!("{base}/invite"), &[("linear_user_id", &m3)]).await;
    assert!(loc.ends_with(&format!("notice=invited&who={m3}")), "{loc}");
    let rows = app.aws.dynamodb.scan().table_name(&app.local.user_mapping_table).send().await.unwrap();
    let invite = rows.items()[0].clone();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(invite_redeemable(&invite, now), Ok((ACME_ID.to_owned(), m3.clone())), "the platform would redeem it");
    let ttl: i64 = invite["ttl"].as_n().unwrap().parse().unwrap();
    assert!((ttl - now - 86_400).abs() < 60, "ttl is 24 h from now");
    assert_eq!(invite["linear_user_email"].as_s().unwrap(), "dana@acme.example");
    let code = invite["linear_identity"].as_s().unwrap().strip_prefix("pending#").unwrap().to_owned();

    // The redirect's page shows the code to hand over and the command that redeems it.
    let html = app.client.get(app.url(&loc)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"invite-handover\"") && html.contains(&code));
    assert!(html.contains(&format!("bgagent linear link {code}")));
    let w = users(&app, ACME_ID, "invited", 0).await;
    assert_eq!(w.rows.iter().map(|r| r.user.id.clone()).collect::<Vec<_>>(), vec![m3.clone()]);

    // An invite past its ttl, not yet deleted by DynamoDB: the platform would still redeem it
    // (it does not check the ttl), so the page deletes it rather than only labelling it.
    let m9 = member(9);
    let expired: Item = [
        ("linear_identity", AttributeValue::S("pending#link-zzzz2222".into())),
        ("status", AttributeValue::S("pending".into())),
        ("linear_workspace_id", AttributeValue::S(ACME_ID.into())),
        ("linear_user_id", AttributeValue::S(m9.clone())),
        ("invited_at", AttributeValue::S("2026-01-01T00:00:00Z".into())),
        ("ttl", AttributeValue::N((now - 60).to_string())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    app.aws.dynamodb.put_item().table_name(&app.local.user_mapping_table).set_item(Some(expired)).send().await.unwrap();
    let w = users(&app, ACME_ID, "invite_expired", 0).await;
    assert!(mapping(&app, "pending#link-zzzz2222").await.is_none(), "the expired invite is deleted");
    assert!(w.rows.is_empty(), "nobody is left with an expired invite");
    assert!(!w.invites.iter().any(|i| i.code == "link-zzzz2222"));
    assert!(w.invites.iter().any(|i| i.code == code && !i.expired), "the live invite is kept");
    let w = users(&app, ACME_ID, "", 0).await;
    assert!(
        w.rows.iter().any(|r| r.user.id == m9 && r.state == app::user_links_view::LinkState::Unlinked),
        "its member can be invited again"
    );

    // Revoke: gone; revoking again is a conflict (nothing to delete).
    let loc = post(&app, &format!("{base}/invites/revoke"), &[("code", &code)]).await;
    assert!(loc.contains("notice=invite_revoked"), "{loc}");
    assert!(mapping(&app, &format!("pending#{code}")).await.is_none());
    let loc = post(&app, &format!("{base}/invites/revoke"), &[("code", &code)]).await;
    assert!(loc.contains("error=conflict"), "{loc}");
}

#[tokio::test]
async fn links_go_stale_when_either_side_disables_the_user() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let a = pool_user(&app, "member014@acme.example").await;
    let b = pool_user(&app, "member015@acme.example").await;
    let base = format!("/workspaces/{ACME_ID}/users");
    for (m, sub) in [(member(14), &a), (member(15), &b)] {
        assert!(post(&app, &format!("{base}/link"), &[("linear_user_id", &m), ("platform_user_id", sub)]).await.contains("notice=linked"));
    }
    assert_eq!(count(&users(&app, ACME_ID, "", 0).await, LinkState::Linked), 2);

    app.idp().admin_disable_user().user_pool_id(&app.local.user_pool_id).username("member014@acme.example").send().await.unwrap();
    {
        let mut world = app.linear.world.lock().await;
        let org = world.orgs.iter_mut().find(|o| o.id == ACME_ID).unwrap();
        org.users.iter_mut().find(|u| u.id == member(15)).unwrap().active = false;
    }
    // Both lists are cached; *Reload from Linear* fetches them again.
    assert!(post(&app, &format!("{base}/reload"), &[]).await.contains("notice=reloaded&count=260"));
    let w = users(&app, ACME_ID, "stale", 0).await;
    let notes: HashMap<String, String> = w.rows.iter().map(|r| (r.user.id.clone(), r.note.clone().unwrap())).collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[&member(14)], "the platform user is disabled");
    assert_eq!(notes[&member(15)], "the Linear user is disabled");
}

#[tokio::test]
async fn link_all_suggested_links_each_with_its_own_outcome() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    for n in 16..=20 {
        pool_user(&app, &format!("member{n:03}@acme.example")).await;
    }
    let w = users(&app, ACME_ID, "", 0).await;
    assert_eq!(count(&w, LinkState::Suggested), 7, "five members and the two demo users");

    // Through the server functions the progress display uses: one row taken meanwhile.
    let todo: Vec<app::user_links_view::LinkRequest> =
        fn_call(&app, "/api/suggested_links", format!("org_id={ACME_ID}")).await.json().await.unwrap();
    assert_eq!(todo.len(), 7);
    assert!(todo.iter().all(|t| t.label.as_deref().is_some_and(|l| l.contains(" → "))));
    let first = &todo[0];
    let holder = pool_user(&app, "holder@acme.example").await;
    post(&app, &format!("/workspaces/{ACME_ID}/users/link"), &[("linear_user_id", &first.linear_user_id), ("platform_user_id", &holder)])
        .await;
    let body = todo[..3]
        .iter()
        .enumerate()
        .map(|(i, t)| format!("links[{i}][linear_user_id]={}&links[{i}][platform_user_id]={}", t.linear_user_id, t.platform_user_id))
        .collect::<Vec<_>>()
        .join("&");
    let results: Vec<LinkResult> = fn_call(&app, "/api/link_users", format!("org_id={ACME_ID}&{body}")).await.json().await.unwrap();
    assert_eq!(results[0].outcome, LinkOutcome::Conflict { linked_to: "holder@acme.example".into() });
    assert_eq!(results[1].outcome, LinkOutcome::Linked);
    assert_eq!(results[2].outcome, LinkOutcome::Linked);

    // The plain form links the rest.
    let loc = post(&app, &format!("/workspaces/{ACME_ID}/users/link-suggested"), &[]).await;
    assert!(loc.ends_with("notice=bulk&linked=4&conflicts=0&refused=0&failed=0"), "{loc}");
    let w = users(&app, ACME_ID, "", 0).await;
    assert_eq!((count(&w, LinkState::Suggested), count(&w, LinkState::Linked)), (0, 7));
    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "user.link" && e.outcome == "success").count(), 7, "one event per link");
}

#[tokio::test]
async fn users_page_lists_platform_users_with_their_links_and_unlinks_from_there() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    installed(&app, INITRODE_ID).await;
    let sub = sub_of(&app, "user@example.com").await;
    let base = |org: &str| format!("/workspaces/{org}/users");
    let initrode_uma = {
        let world = app.linear.world.lock().await;
        world.orgs.iter().find(|o| o.id == INITRODE_ID).unwrap().users[2].id.clone()
    };
    post(&app, &format!("{}/link", base(ACME_ID)), &[("linear_user_id", &member(2)), ("platform_user_id", &sub)]).await;
    post(&app, &format!("{}/link", base(INITRODE_ID)), &[("linear_user_id", &initrode_uma), ("platform_user_id", &sub)]).await;

    let page: PlatformUserPage = fn_call(&app, "/api/platform_users", "prefix=user%40".into()).await.json().await.unwrap();
    assert_eq!(page.users.len(), 1, "the email prefix filter");
    let links = &page.users[0].links;
    assert_eq!(links.len(), 2, "identities across workspaces, through the GSI");
    assert!(links.iter().any(|l| l.org_id == INITRODE_ID && l.workspace_slug.as_deref().is_some_and(|s| s.starts_with("initrode"))));

    let html = app.client.get(app.url("/users?email=user%40")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&member(2)) && html.contains(&initrode_uma));
    let identity = format!("{ACME_ID}#{}", member(2));
    let loc = post(&app, "/users/unlink", &[("identity", identity.as_str()), ("platform_user_id", &sub), ("email", "user@")]).await;
    assert_eq!(loc, "/users?email=user%40&notice=unlinked");
    assert!(mapping(&app, &identity).await.is_none());
    let page: PlatformUserPage = fn_call(&app, "/api/platform_users", "prefix=user%40".into()).await.json().await.unwrap();
    assert_eq!(page.users[0].links.len(), 1);

    // Paged: 60 per Cognito page, so 70 members take two.
    for n in 100..170 {
        pool_user(&app, &format!("pager{n}@acme.example")).await;
    }
    let first: PlatformUserPage = fn_call(&app, "/api/platform_users", "prefix=pager".into()).await.json().await.unwrap();
    let next = first.next.clone().expect("a second page");
    let second: PlatformUserPage =
        fn_call(&app, "/api/platform_users", format!("prefix=pager&next={}", app::url::enc(&next))).await.json().await.unwrap();
    assert_eq!(first.users.len() + second.users.len(), 70);
}

#[tokio::test]
async fn a_member_without_a_platform_user_becomes_one_and_is_linked_in_one_action() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let dana = member(3);
    let users_page = format!("/workspaces/{ACME_ID}/users");
    let to = post_create(&app, &dana).await;
    assert!(to.starts_with(&users_page) && to.contains("notice=created"), "{to}");
    // The Cognito user: the email as username, verified.
    let user = app.idp().admin_get_user().user_pool_id(&app.local.user_pool_id).username("dana@acme.example").send().await.unwrap();
    let attr = |n: &str| user.user_attributes().iter().find(|a| a.name() == n).and_then(|a| a.value()).map(str::to_owned);
    assert_eq!(attr("email").as_deref(), Some("dana@acme.example"));
    assert_eq!(attr("email_verified").as_deref(), Some("true"));
    let sub = attr("sub").unwrap();
    // The link row names the new user's sub, and the platform accepts it.
    let row = mapping(&app, &format!("{ACME_ID}#{dana}")).await.expect("the link row");
    assert_eq!(platform_accepts(&row).as_deref(), Some(sub.as_str()));
    // Again: nothing is created twice (the member is linked already).
    assert!(post_create(&app, &dana).await.contains("error=conflict"));
    let found = app.idp().list_users().user_pool_id(&app.local.user_pool_id).filter("email = \"dana@acme.example\"").send().await.unwrap();
    assert_eq!(found.users().len(), 1);
    // A member whose email a pool user has already is linked to that user, not duplicated.
    let existing = pool_user(&app, "member009@acme.example").await;
    let to = post_create(&app, &member(9)).await;
    assert!(to.contains("notice=linked_existing"), "{to}");
    assert_eq!(platform_accepts(&mapping(&app, &format!("{ACME_ID}#{}", member(9))).await.unwrap()).as_deref(), Some(existing.as_str()));
    // Operators may link, not create users.
    let operator = browser(&app.url(""));
    app.sign_in_with(&operator, end2end::bootstrap::OPERATOR_EMAIL, PASSWORD).await;
    let res = operator
        .post(app.url("/api/create_platform_user"))
        .form(&[("org_id", ACME_ID), ("linear_user_id", &member(10))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn every_unmatched_member_is_made_a_platform_user_at_once() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, INITRODE_ID).await;
    // Ira and Pat have no platform user; Uma (user@example.com) has one and is suggested instead.
    let w = users(&app, INITRODE_ID, "", 0).await;
    assert_eq!(w.unmatched, 2);
    let to = app.submit("create_unmatched", &[("org_id", INITRODE_ID)]).await;
    assert!(to.contains("notice=created_all&created=2&existing=0&refused=0&failed=0"), "{to}");
    let after = users(&app, INITRODE_ID, "linked", 0).await;
    assert_eq!(after.matching, 2);
    assert_eq!(users(&app, INITRODE_ID, "", 0).await.unmatched, 0);
    let page = audit_events(&app, INITRODE_ID, "user.create").await;
    assert_eq!(page.entries.iter().filter(|e| e.outcome == "success").count(), 2);
}

async fn post_create(app: &TestApp, linear_user_id: &str) -> String {
    app.submit("create_platform_user", &[("org_id", ACME_ID), ("linear_user_id", linear_user_id)]).await
}
