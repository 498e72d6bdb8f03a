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
        },
        Org { id: INITRODE_ID.into(), name: "Initrode".into(), url_key: "initrode".into(), teams: vec!["CORE".into()], users: initrode },
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
