//! Seed data: two organizations. `acme-eng` (the org of the platform's contract fixture)
//! has 260 users, some disabled, a guest and an app bot, with emails that overlap the demo
//! Cognito users so matching can be shown; `initrode` is small.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub url_key: String,
    pub teams: Vec<String>,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
}

/// A project and the keys of its teams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub state: String,
    pub teams: Vec<String>,
}

/// The id of the fixture's mapped project (`project_mapping.active` in the contract fixture).
pub const WEB_APP_PROJECT_ID: &str = "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d";
/// The fixture's `team_id` of that project: acme's ENG team.
pub const ENG_TEAM_ID: &str = "b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e";

/// A team's id: the fixture's for acme's ENG, else one made from its key.
pub fn team_id(key: &str) -> String {
    if key == "ENG" {
        return ENG_TEAM_ID.to_owned();
    }
    let n = key.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    uid(0x7ea3, n)
}

/// Projects named `names`, in `team`, with ids made from the organization's namespace.
pub fn projects_named(ns: u32, names: &[String], team: &str) -> Vec<Project> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Project {
            id: uid(ns, 1000 + i as u32),
            name: name.clone(),
            state: "started".into(),
            teams: vec![team.to_owned()],
        })
        .collect()
}

fn acme_projects() -> Vec<Project> {
    let p = |id: String, name: &str, state: &str, teams: &[&str]| Project {
        id,
        name: name.into(),
        state: state.into(),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
    };
    let mut projects = vec![
        p(WEB_APP_PROJECT_ID.into(), "Web app", "started", &["ENG"]),
        p(uid(0xacce, 901), "Public API", "started", &["ENG", "OPS"]),
        p(uid(0xacce, 902), "Mobile", "planned", &["ENG"]),
        p(uid(0xacce, 903), "Ops tooling", "backlog", &["OPS"]),
    ];
    // Enough for Linear's pages of 50 to take two.
    projects.extend((1..=52).map(|n| p(uid(0xacce, 910 + n), &format!("Initiative {n:02}"), "planned", &["ENG"])));
    projects
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub admin: bool,
    pub guest: bool,
    pub app: bool,
}

pub const ACME_ID: &str = "4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d";
pub const INITRODE_ID: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/// A stable, UUID-shaped id from a namespace and a number.
fn uid(ns: u32, n: u32) -> String {
    format!("{ns:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", n & 0xffff, n % 0xfff, ns % 0xfff, n as u64 * 7919)
}

fn user(ns: u32, n: u32, name: &str, email: &str) -> User {
    User {
        id: uid(ns, n),
        name: name.to_owned(),
        email: email.to_owned(),
        display_name: name.split(' ').next().unwrap_or(name).to_lowercase(),
        active: true,
        admin: false,
        guest: false,
        app: false,
    }
}

pub fn orgs() -> Vec<Org> {
    let mut acme = vec![
        User { admin: true, ..user(0xacce, 1, "Ada Admin", "admin@example.com") },
        user(0xacce, 2, "Uma User", "User@Example.com"),
        user(0xacce, 3, "Dana Whitfield", "dana@acme.example"),
        User { guest: true, ..user(0xacce, 4, "Gus Guest", "gus@partner.example") },
        User { app: true, ..user(0xacce, 5, "Deploy Bot", "deploy-bot@oauthapp.linear.app") },
    ];
    for n in 6..=260 {
        let mut u = user(0xacce, n, &format!("Member {n:03}"), &format!("member{n:03}@acme.example"));
        u.active = n % 25 != 0; // every 25th member is disabled
        acme.push(u);
    }
    let initrode = vec![
        User { admin: true, ..user(0x1e17, 1, "Ira Owner", "ira@initrode.example") },
        user(0x1e17, 2, "Pat Peer", "pat@initrode.example"),
        user(0x1e17, 3, "Uma User", "user@example.com"),
    ];
    vec![
        Org {
            id: ACME_ID.into(),
            name: "Acme Engineering".into(),
            url_key: "acme-eng".into(),
            teams: vec!["ENG".into(), "OPS".into()],
            users: acme,
            projects: acme_projects(),
        },
        Org {
            id: INITRODE_ID.into(),
            name: "Initrode".into(),
            url_key: "initrode".into(),
            teams: vec!["CORE".into()],
            users: initrode,
            projects: projects_named(0x1e17, &["Core platform".into(), "Billing".into()], "CORE"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_uuid_shaped() {
        let orgs = orgs();
        let ids: std::collections::HashSet<_> = orgs.iter().flat_map(|o| o.users.iter().map(|u| u.id.clone())).collect();
        assert_eq!(ids.len(), orgs.iter().map(|o| o.users.len()).sum::<usize>());
        assert!(ids.iter().all(|i| i.len() == 36 && i.matches('-').count() == 4));
        assert_eq!(orgs[0].users.len(), 260);
        assert!(orgs[0].users.iter().filter(|u| !u.active).count() >= 10);
    }
}
