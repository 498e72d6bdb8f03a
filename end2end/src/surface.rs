//! The console's attack surface, as a table both the server's tests and the security script
//! (`security-check`) read: every server function with the role it needs, well-formed arguments
//! and the kind of each string field; and the plain routes. A server test fails when a server
//! function exists that this table does not name, so nothing new escapes the checks.

/// The least role a call needs (the console's role names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Needs {
    Viewer,
    Operator,
    Admin,
}

impl Needs {
    pub const ALL: [Needs; 3] = [Needs::Viewer, Needs::Operator, Needs::Admin];

    pub fn label(self) -> &'static str {
        match self {
            Needs::Viewer => "viewer",
            Needs::Operator => "operator",
            Needs::Admin => "admin",
        }
    }
}

/// How a string field is checked: an id (letters, digits, dashes) or free text (bounded, no
/// control characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    /// A user-mapping row's key: an id, but with `#` between its parts.
    Key,
    /// A repository, `owner/repo`.
    Repo,
    Text,
}

pub struct ServerFn {
    pub path: &'static str,
    pub needs: Needs,
    /// Well-formed urlencoded arguments (an unknown workspace: a 404 past every check).
    pub args: &'static str,
    /// The string fields to try bad values in.
    pub fields: &'static [(&'static str, Field)],
}

const ORG: &str = "00000000-0000-4000-8000-000000000000";

macro_rules! org {
    ($rest:literal) => {
        concat!("org_id=00000000-0000-4000-8000-000000000000", $rest)
    };
}

pub const SERVER_FUNCTIONS: &[ServerFn] = &[
    ServerFn { path: "/api/whoami", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn { path: "/api/profile", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn { path: "/api/workspaces", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn { path: "/api/workspace_list", needs: Needs::Viewer, args: "query[q]=", fields: &[("query[q]", Field::Text)] },
    ServerFn { path: "/api/workspace", needs: Needs::Viewer, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/workspace_drops", needs: Needs::Viewer, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/drops_summary", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn { path: "/api/connect_info", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn { path: "/api/audit", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn {
        path: "/api/audit_search",
        needs: Needs::Viewer,
        args: "query[actor]=&query[workspace]=",
        fields: &[("query[actor]", Field::Text), ("query[workspace]", Field::Id)],
    },
    ServerFn {
        path: "/api/workspace_users",
        needs: Needs::Viewer,
        args: org!("&query[q]="),
        fields: &[("org_id", Field::Id), ("query[q]", Field::Text)],
    },
    ServerFn { path: "/api/suggested_links", needs: Needs::Viewer, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/reload_progress", needs: Needs::Viewer, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/platform_users", needs: Needs::Viewer, args: "prefix=", fields: &[("prefix", Field::Text)] },
    ServerFn {
        path: "/api/link_users",
        needs: Needs::Operator,
        args: org!("&links[0][linear_user_id]=u-1&links[0][platform_user_id]=s-1"),
        fields: &[("org_id", Field::Id), ("links[0][linear_user_id]", Field::Id), ("links[0][platform_user_id]", Field::Id)],
    },
    ServerFn { path: "/api/reload_linear_users", needs: Needs::Operator, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/check_workspace", needs: Needs::Operator, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/refresh_workspace", needs: Needs::Operator, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn {
        path: "/api/link_user",
        needs: Needs::Operator,
        args: org!("&linear_user_id=u-1&platform_user_id=s-1&q="),
        fields: &[("org_id", Field::Id), ("linear_user_id", Field::Id), ("platform_user_id", Field::Id), ("q", Field::Text)],
    },
    ServerFn {
        path: "/api/unlink_user",
        needs: Needs::Operator,
        args: org!("&linear_user_id=u-1&platform_user_id=s-1"),
        fields: &[("org_id", Field::Id), ("linear_user_id", Field::Id), ("platform_user_id", Field::Id)],
    },
    ServerFn {
        path: "/api/link_suggested",
        needs: Needs::Operator,
        args: org!("&q="),
        fields: &[("org_id", Field::Id), ("q", Field::Text)],
    },
    ServerFn {
        path: "/api/invite_user",
        needs: Needs::Operator,
        args: org!("&linear_user_id=u-1"),
        fields: &[("org_id", Field::Id), ("linear_user_id", Field::Id)],
    },
    ServerFn {
        path: "/api/revoke_invite",
        needs: Needs::Operator,
        args: org!("&code=link-aaaaaaaa"),
        fields: &[("org_id", Field::Id), ("code", Field::Id)],
    },
    ServerFn {
        path: "/api/reload_users",
        needs: Needs::Operator,
        args: org!("&page="),
        fields: &[("org_id", Field::Id), ("page", Field::Id)],
    },
    ServerFn {
        path: "/api/unlink_identity",
        needs: Needs::Operator,
        args: "identity=x&platform_user_id=s-1",
        fields: &[("identity", Field::Key), ("platform_user_id", Field::Id)],
    },
    ServerFn {
        path: "/api/remove_workspace",
        needs: Needs::Admin,
        args: org!("&confirm=x&mode=revoke"),
        fields: &[("org_id", Field::Id), ("confirm", Field::Text)],
    },
    ServerFn { path: "/api/retry_orphan", needs: Needs::Admin, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/webhook_secret", needs: Needs::Admin, args: org!("&webhook_secret=x"), fields: &[("org_id", Field::Id)] },
    ServerFn { path: "/api/finish_install", needs: Needs::Admin, args: "", fields: &[] },
    ServerFn {
        path: "/api/incidents",
        needs: Needs::Viewer,
        args: "query[workspace]=&query[kind]=&query[state]=",
        fields: &[("query[workspace]", Field::Text), ("query[kind]", Field::Text)],
    },
    ServerFn { path: "/api/settings", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn {
        path: "/api/acknowledge_incident",
        needs: Needs::Operator,
        args: org!("&kind=degraded&note=x"),
        fields: &[("org_id", Field::Id), ("kind", Field::Id), ("note", Field::Text)],
    },
    ServerFn {
        path: "/api/snooze_incident",
        needs: Needs::Operator,
        args: org!("&kind=degraded&span=1h"),
        fields: &[("org_id", Field::Id), ("kind", Field::Id), ("span", Field::Id)],
    },
    ServerFn {
        path: "/api/send_event_again",
        needs: Needs::Operator,
        args: "key=2026-01-01T00%3A00%3A00Z%23no-such-event",
        fields: &[("key", Field::Key)],
    },
    ServerFn { path: "/api/test_alert", needs: Needs::Admin, args: "channel=99", fields: &[("channel", Field::Id)] },
    ServerFn {
        path: "/api/workspace_projects",
        needs: Needs::Viewer,
        args: org!("&query[q]="),
        fields: &[("org_id", Field::Id), ("query[q]", Field::Text)],
    },
    ServerFn {
        path: "/api/map_project",
        needs: Needs::Operator,
        args: org!("&project_id=p-1&repo=acme/web&label=bgagent&team_id=&version=new&q="),
        fields: &[
            ("org_id", Field::Id),
            ("project_id", Field::Id),
            ("repo", Field::Repo),
            ("label", Field::Text),
            ("team_id", Field::Id),
            ("version", Field::Text),
            ("q", Field::Text),
        ],
    },
    ServerFn {
        path: "/api/map_projects",
        needs: Needs::Operator,
        args: org!("&projects[0]=p-1&repo=acme/web&label="),
        fields: &[("org_id", Field::Id), ("projects[0]", Field::Id), ("repo", Field::Repo), ("label", Field::Text)],
    },
    ServerFn {
        path: "/api/set_project_status",
        needs: Needs::Operator,
        args: org!("&project_id=p-1&status=removed&version=new"),
        fields: &[("org_id", Field::Id), ("project_id", Field::Id), ("status", Field::Id), ("version", Field::Text)],
    },
    ServerFn { path: "/api/reload_projects", needs: Needs::Operator, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn {
        path: "/api/create_platform_user",
        needs: Needs::Admin,
        args: org!("&linear_user_id=u-1&q="),
        fields: &[("org_id", Field::Id), ("linear_user_id", Field::Id), ("q", Field::Text)],
    },
    ServerFn { path: "/api/unmatched_members", needs: Needs::Admin, args: org!(""), fields: &[("org_id", Field::Id)] },
    ServerFn {
        path: "/api/create_platform_users",
        needs: Needs::Admin,
        args: org!("&linear_user_ids[0]=u-1"),
        fields: &[("org_id", Field::Id), ("linear_user_ids[0]", Field::Id)],
    },
    ServerFn {
        path: "/api/create_unmatched",
        needs: Needs::Admin,
        args: org!("&q="),
        fields: &[("org_id", Field::Id), ("q", Field::Text)],
    },
    ServerFn { path: "/api/install_links", needs: Needs::Admin, args: "", fields: &[] },
    ServerFn {
        path: "/api/create_install_link",
        needs: Needs::Admin,
        args: "org_id=&only_for=&note=&hours=24",
        fields: &[("org_id", Field::Id), ("only_for", Field::Text), ("note", Field::Text), ("hours", Field::Id)],
    },
    ServerFn { path: "/api/new_install_link", needs: Needs::Admin, args: "", fields: &[] },
    ServerFn { path: "/api/revoke_install_link", needs: Needs::Admin, args: "id=0000", fields: &[("id", Field::Id)] },
    // Sessions: a member's own (the one in use is kept by "everywhere else"), and an admin's view of
    // another member's (an unknown member here: a 404 past every check).
    ServerFn { path: "/api/my_sessions", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn {
        path: "/api/end_my_session",
        needs: Needs::Viewer,
        args: "handle=0000000000000000000000000000000000000000000000000000000000000000",
        fields: &[("handle", Field::Id)],
    },
    ServerFn { path: "/api/end_my_other_sessions", needs: Needs::Viewer, args: "", fields: &[] },
    ServerFn {
        path: "/api/member_sessions",
        needs: Needs::Admin,
        args: "sub=00000000-0000-4000-8000-000000000000",
        fields: &[("sub", Field::Id)],
    },
    ServerFn {
        path: "/api/end_member_session",
        needs: Needs::Admin,
        args: "sub=00000000-0000-4000-8000-000000000000&handle=0000000000000000000000000000000000000000000000000000000000000000",
        fields: &[("sub", Field::Id), ("handle", Field::Id)],
    },
    ServerFn {
        path: "/api/end_member_sessions",
        needs: Needs::Admin,
        args: "sub=00000000-0000-4000-8000-000000000000",
        fields: &[("sub", Field::Id)],
    },
    ServerFn {
        path: "/api/reset_second_factor",
        needs: Needs::Admin,
        args: "sub=00000000-0000-4000-8000-000000000000",
        fields: &[("sub", Field::Id)],
    },
];

/// A plain route (not a server function) that needs a signed-in member.
pub struct PlainRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub needs: Needs,
    pub form: &'static str,
}

pub const PLAIN_ROUTES: &[PlainRoute] = &[
    PlainRoute { method: "POST", path: "/linear/connect", needs: Needs::Admin, form: "workspace=" },
    PlainRoute { method: "POST", path: "/profile/mfa/start", needs: Needs::Viewer, form: "password=not-the-password" },
    PlainRoute { method: "POST", path: "/profile/mfa/verify", needs: Needs::Viewer, form: "code=000000" },
    PlainRoute { method: "POST", path: "/profile/mfa/saved", needs: Needs::Viewer, form: "" },
    PlainRoute { method: "GET", path: "/linear/callback?code=x&state=y", needs: Needs::Admin, form: "" },
    PlainRoute { method: "GET", path: "/audit.csv", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces.csv", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces.json", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces/00000000-0000-4000-8000-000000000000/users.csv", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces/00000000-0000-4000-8000-000000000000/users.json", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces/00000000-0000-4000-8000-000000000000/projects.csv", needs: Needs::Operator, form: "" },
    PlainRoute { method: "GET", path: "/workspaces/00000000-0000-4000-8000-000000000000/projects.json", needs: Needs::Operator, form: "" },
];

/// The state-changing routes anyone may post to (sign-in and its steps): cross-site refused.
pub const PUBLIC_POSTS: &[&str] = &[
    "/login",
    "/login/new-password",
    "/login/mfa",
    "/logout",
    "/install/0000000000000000000000000000000000000000000000000000000000000000",
];

/// Values no field accepts, by kind (each with what it tries).
pub fn bad_values(kind: Field) -> Vec<(&'static str, String)> {
    let mut v =
        vec![("overlong (100 KB)", "a".repeat(100_000)), ("NUL", "a\0b".to_owned()), ("escape sequence", "\u{1b}[31mred".to_owned())];
    if kind != Field::Text {
        v.extend([
            ("path traversal", "../../etc/passwd".to_owned()),
            ("unicode", "Ωmega\u{202e}".to_owned()),
            ("filter quote", "x\" or sub ^= \"".to_owned()),
        ]);
    }
    if kind == Field::Id {
        v.push(("key separator", "a#b".to_owned()));
    }
    v
}

/// `args` with `field` set to `value` (urlencoded).
pub fn with_field(args: &str, field: &str, value: &str) -> String {
    let enc: String = crate::url_encode(value);
    let mut pairs: Vec<String> = args.split('&').filter(|p| !p.is_empty()).map(str::to_owned).collect();
    let key = crate::url_encode(field);
    match pairs.iter_mut().find(|p| p.split('=').next() == Some(field) || p.split('=').next() == Some(key.as_str())) {
        Some(p) => *p = format!("{key}={enc}"),
        None => pairs.push(format!("{key}={enc}")),
    }
    pairs.join("&")
}

/// The workspace id the arguments name (an unknown one).
pub fn unknown_org() -> &'static str {
    ORG
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_replaced_or_added_encoded() {
        assert_eq!(with_field("org_id=a&q=", "q", "a b"), "org_id=a&q=a%20b");
        assert_eq!(with_field("", "prefix", "x\0"), "prefix=x%00");
        assert_eq!(with_field("query[q]=", "query[q]", "z"), "query%5Bq%5D=z");
    }

    #[test]
    fn every_function_names_its_fields_in_its_arguments() {
        for f in SERVER_FUNCTIONS {
            for (field, _) in f.fields {
                assert!(f.args.contains(&format!("{field}=")), "{}: {field}", f.path);
            }
        }
    }
}
