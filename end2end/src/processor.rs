//! The platform's webhook processor as far as its log goes (contract §11): the lines it writes
//! when it drops a request, exactly as its logger writes them (`JSON.stringify({ level, message,
//! ...fields })`), put into the processor's log group in moto so the console reads them back.
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::json;

use crate::bootstrap::PROCESSOR_STREAM;

/// One dropped request.
#[derive(Debug, Clone)]
pub enum Dropped<'a> {
    /// An issue labelled by a Linear user who is not linked.
    UnlinkedActor { org: &'a str, user: &'a str, issue: &'a str },
    /// A `@bgagent` comment by a Linear user who is not linked.
    UnlinkedCommenter { org: &'a str, user: &'a str, issue: &'a str },
    /// An issue in a project that is not mapped.
    UnmappedProject { project: &'a str, issue: &'a str },
    /// An issue in no project.
    NoProject { issue: &'a str },
}

impl Dropped<'_> {
    /// The line, as the processor writes it.
    pub fn line(&self) -> String {
        match self {
            Dropped::UnlinkedActor { org, user, issue } => json!({
                "level": "WARN",
                "message": "Linear actor has no linked platform user — skipping task creation",
                "linear_workspace_id": org, "linear_user_id": user, "issue_id": issue,
            }),
            Dropped::UnlinkedCommenter { org, user, issue } => json!({
                "level": "WARN",
                "message": "Comment trigger: commenter has no linked platform user — refusing to act on the trigger",
                "linear_workspace_id": org, "linear_user_id": user, "linear_issue_id": issue,
            }),
            Dropped::UnmappedProject { project, issue } => json!({
                "level": "INFO",
                "message": "Linear project is not onboarded or is removed — skipping",
                "linear_project_id": project, "issue_id": issue,
            }),
            Dropped::NoProject { issue } => json!({
                "level": "INFO",
                "message": "Linear Issue has no projectId — skipping (cannot route to a repo)",
                "issue_id": issue,
            }),
        }
        .to_string()
    }
}

/// Writes `lines` (Unix ms, text) into the processor's group, oldest first, with a line the
/// console must not count (a task created) before each, as the real log interleaves them.
pub async fn write(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, lines: &[(i64, String)]) -> Result<(), String> {
    let mut lines = lines.to_vec();
    lines.sort_by_key(|(at, _)| *at);
    let noise = json!({"level": "INFO", "message": "Linear-triggered task created", "task_id": "t-1"}).to_string();
    let mut events = Vec::new();
    for (at, text) in lines {
        for message in [noise.clone(), text] {
            events.push(InputLogEvent::builder().timestamp(at).message(message).build().map_err(|e| e.to_string())?);
        }
    }
    if events.is_empty() {
        return Ok(());
    }
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(PROCESSOR_STREAM)
        .set_log_events(Some(events))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
