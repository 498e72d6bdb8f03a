//! What the platform drops (contract §11): the webhook processor's log lines that mean "someone
//! asked for work and nothing happened", read back into typed drops. Pure: parsing a line, the
//! filter pattern CloudWatch Logs is asked with, and the counts the pages and the incident rule use.
use std::collections::HashMap;

use crate::codes;

codes! {
    /// Why the platform dropped a request.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum DropKind {
        /// The issue's actor has no linked platform user.
        UnlinkedActor = "unlinked_actor",
        /// A comment's author has no linked platform user.
        UnlinkedCommenter = "unlinked_commenter",
        /// The issue's project has no active mapping.
        UnmappedProject = "unmapped_project",
        /// The issue is in no project.
        NoProject = "no_project",
        /// The webhook named no organization or actor.
        Unattributable = "unattributable",
    }
}

impl DropKind {
    /// The processor's message, up to the dash (the rest is not needed to know it, and a filter
    /// pattern is simpler in ASCII).
    pub fn message(self) -> &'static str {
        match self {
            DropKind::UnlinkedActor => "Linear actor has no linked platform user",
            DropKind::UnlinkedCommenter => "Comment trigger: commenter has no linked platform user",
            DropKind::UnmappedProject => "Linear project is not onboarded or is removed",
            DropKind::NoProject => "Linear Issue has no projectId",
            DropKind::Unattributable => "Linear webhook missing organization or actor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DropKind::UnlinkedActor => "issue by a person not linked",
            DropKind::UnlinkedCommenter => "comment by a person not linked",
            DropKind::UnmappedProject => "issue in a project not mapped",
            DropKind::NoProject => "issue in no project",
            DropKind::Unattributable => "webhook without organization or actor",
        }
    }

    /// A person not linked: the line names the workspace and the person.
    pub fn is_person(self) -> bool {
        matches!(self, DropKind::UnlinkedActor | DropKind::UnlinkedCommenter)
    }
}

/// One dropped request, as the processor logged it (ids as logged; `at` in Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// The log event's id (the same line read twice is one drop).
    pub id: String,
    pub at: i64,
    pub kind: DropKind,
    /// The Linear organization, when the line names it (people lines do; project lines do not).
    pub workspace: Option<String>,
    pub linear_user: Option<String>,
    pub project: Option<String>,
    pub issue: Option<String>,
}

/// The CloudWatch Logs filter pattern that selects the lines of [`DropKind`] (a JSON pattern on
/// the `message` field; lines that are not JSON, as Lambda's own, never match).
pub fn filter_pattern() -> String {
    let terms: Vec<String> = DropKind::ALL.iter().map(|k| format!("($.message = \"{}*\")", k.message())).collect();
    format!("{{ {} }}", terms.join(" || "))
}

/// Reads one log event. `None` for any line that is not one of the dropped kinds (the caller
/// may be answered more lines than asked for: a store without JSON patterns sends every line).
pub fn parse(id: &str, at: i64, message: &str) -> Option<Drop> {
    // The processor writes bare JSON; a runtime may put a prefix before it.
    let json: serde_json::Value = serde_json::from_str(message.get(message.find('{')?..)?.trim_end()).ok()?;
    let text = json.get("message")?.as_str()?;
    let kind = DropKind::ALL.iter().copied().find(|k| text.starts_with(k.message()))?;
    let field = |names: &[&str]| {
        names.iter().find_map(|n| json.get(*n).and_then(|v| v.as_str()).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
    };
    Some(Drop {
        id: id.to_owned(),
        at,
        kind,
        workspace: field(&["linear_workspace_id", "organization_id"]),
        linear_user: field(&["linear_user_id", "actor_id"]).filter(|_| kind.is_person()),
        project: field(&["linear_project_id"]),
        issue: field(&["issue_id", "linear_issue_id"]),
    })
}

/// Drops per workspace (the lines that name one) from `since` (Unix ms) on.
pub fn per_workspace(drops: &[Drop], since: i64) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for d in drops.iter().filter(|d| d.at >= since) {
        if let Some(w) = &d.workspace {
            *counts.entry(w.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// How many of each kind.
pub fn by_kind(drops: &[Drop]) -> HashMap<DropKind, usize> {
    let mut counts = HashMap::new();
    for d in drops {
        *counts.entry(d.kind).or_insert(0) += 1;
    }
    counts
}

/// The workspaces that dropped more than `threshold` requests in the hour up to `now` (Unix
/// ms), with how many; `threshold` 0 judges none.
pub fn over_threshold(drops: &[Drop], now: i64, threshold: usize) -> Vec<(String, usize)> {
    if threshold == 0 {
        return Vec::new();
    }
    let mut over: Vec<(String, usize)> = per_workspace(drops, now - 3_600_000).into_iter().filter(|(_, n)| *n > threshold).collect();
    over.sort();
    over
}

/// The drops of one subject (a person, a project), with how many and the latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub key: String,
    pub times: usize,
    /// The latest, Unix ms.
    pub last: i64,
    pub kinds: Vec<DropKind>,
    /// The issues involved, newest first (at most 10).
    pub issues: Vec<String>,
}

/// `drops` grouped by `key`, most frequent first (then most recent).
pub fn tally<'a>(drops: impl Iterator<Item = &'a Drop>, key: impl Fn(&Drop) -> Option<&str>) -> Vec<Tally> {
    let mut by: HashMap<String, Tally> = HashMap::new();
    let mut sorted: Vec<&Drop> = drops.collect();
    sorted.sort_by_key(|d| std::cmp::Reverse(d.at));
    for d in sorted {
        let Some(k) = key(d) else { continue };
        let t = by.entry(k.to_owned()).or_insert_with(|| Tally {
            key: k.to_owned(),
            times: 0,
            last: d.at,
            kinds: Vec::new(),
            issues: Vec::new(),
        });
        t.times += 1;
        if !t.kinds.contains(&d.kind) {
            t.kinds.push(d.kind);
        }
        if let Some(i) = &d.issue {
            if t.issues.len() < 10 && !t.issues.contains(i) {
                t.issues.push(i.clone());
            }
        }
    }
    let mut out: Vec<Tally> = by.into_values().collect();
    out.sort_by(|a, b| b.times.cmp(&a.times).then(b.last.cmp(&a.last)).then(a.key.cmp(&b.key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as the platform's logger writes it (`JSON.stringify({ level, message, ...data })`).
    fn line(level: &str, message: &str, fields: serde_json::Value) -> String {
        let mut v = serde_json::json!({ "level": level, "message": message });
        if let (Some(o), Some(f)) = (v.as_object_mut(), fields.as_object()) {
            o.extend(f.clone());
        }
        v.to_string()
    }

    #[test]
    fn each_of_the_processors_lines_is_read_with_its_fields() {
        let actor = line(
            "WARN",
            "Linear actor has no linked platform user — skipping task creation",
            serde_json::json!({"linear_workspace_id": "org-1", "linear_user_id": "u-1", "issue_id": "i-1"}),
        );
        let d = parse("e1", 5, &actor).unwrap();
        assert_eq!(d.kind, DropKind::UnlinkedActor);
        assert_eq!((d.workspace.as_deref(), d.linear_user.as_deref(), d.issue.as_deref()), (Some("org-1"), Some("u-1"), Some("i-1")));
        let comment = line(
            "WARN",
            "Comment trigger: commenter has no linked platform user — refusing to act on the trigger",
            serde_json::json!({"linear_workspace_id": "org-1", "linear_user_id": "u-2", "linear_issue_id": "i-2"}),
        );
        let d = parse("e2", 5, &comment).unwrap();
        assert_eq!((d.kind, d.linear_user.as_deref(), d.issue.as_deref()), (DropKind::UnlinkedCommenter, Some("u-2"), Some("i-2")));
        let project = line(
            "INFO",
            "Linear project is not onboarded or is removed — skipping",
            serde_json::json!({"linear_project_id": "p-1", "issue_id": "i-3"}),
        );
        let d = parse("e3", 5, &project).unwrap();
        assert_eq!((d.kind, d.workspace, d.project.as_deref()), (DropKind::UnmappedProject, None, Some("p-1")));
        let none =
            line("INFO", "Linear Issue has no projectId — skipping (cannot route to a repo)", serde_json::json!({"issue_id": "i-4"}));
        assert_eq!(parse("e4", 5, &none).unwrap().kind, DropKind::NoProject);
        let lost = line(
            "WARN",
            "Linear webhook missing organization or actor — cannot attribute task",
            serde_json::json!({"issue_id": "i-5", "organization_id": "", "actor_id": "u-9"}),
        );
        let d = parse("e5", 5, &lost).unwrap();
        assert_eq!((d.kind, d.workspace, d.linear_user), (DropKind::Unattributable, None, None), "empty is none; no person to link");
    }

    #[test]
    fn other_lines_and_prefixed_lines() {
        assert_eq!(parse("e", 0, &line("INFO", "Linear-triggered task created", serde_json::json!({}))), None);
        assert_eq!(parse("e", 0, "START RequestId: 1 Version: $LATEST"), None);
        assert_eq!(parse("e", 0, "not json {"), None);
        let prefixed = format!(
            "2026-12-03T10:00:00.000Z\tabc\tINFO\t{}",
            line("INFO", "Linear Issue has no projectId — skipping (cannot route to a repo)", serde_json::json!({"issue_id": "i"}))
        );
        assert_eq!(parse("e", 0, &prefixed).map(|d| d.kind), Some(DropKind::NoProject));
    }

    #[test]
    fn the_filter_pattern_names_every_kind_in_ascii() {
        let p = filter_pattern();
        assert!(p.is_ascii(), "{p}");
        for k in DropKind::ALL {
            assert!(p.contains(&format!("($.message = \"{}*\")", k.message())), "{p}");
        }
        assert!(p.starts_with("{ (") && p.ends_with(") }"));
    }

    fn drop(at: i64, ws: Option<&str>, user: Option<&str>) -> Drop {
        Drop {
            id: format!("e{at}"),
            at,
            kind: DropKind::UnlinkedActor,
            workspace: ws.map(str::to_owned),
            linear_user: user.map(str::to_owned),
            project: None,
            issue: Some(format!("i{at}")),
        }
    }

    #[test]
    fn a_workspace_over_the_threshold_in_the_last_hour_and_only_then() {
        let hour = 3_600_000;
        let mut drops: Vec<Drop> = (0..4).map(|i| drop(10 * hour + i, Some("org-1"), Some("u"))).collect();
        drops.push(drop(8 * hour, Some("org-1"), Some("u")));
        drops.extend((0..2).map(|i| drop(10 * hour + i, Some("org-2"), Some("u"))));
        assert_eq!(over_threshold(&drops, 10 * hour + 10, 3), vec![("org-1".to_owned(), 4)], "the line two hours ago does not count");
        assert_eq!(over_threshold(&drops, 10 * hour + 10, 4), vec![], "more than the threshold");
        assert_eq!(over_threshold(&drops, 10 * hour + 10, 0), vec![], "0: off");
    }

    #[test]
    fn tallies_count_each_person_newest_first_with_their_issues() {
        let drops = [drop(1, Some("o"), Some("a")), drop(3, Some("o"), Some("b")), drop(2, Some("o"), Some("a")), drop(4, Some("o"), None)];
        let t = tally(drops.iter(), |d| d.linear_user.as_deref());
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].key.as_str(), t[0].times, t[0].last), ("a", 2, 2));
        assert_eq!(t[0].issues, vec!["i2".to_owned(), "i1".to_owned()]);
        assert_eq!((t[1].key.as_str(), t[1].times), ("b", 1));
    }
}
