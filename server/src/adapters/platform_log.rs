//! The platform's webhook processor's log (contract §11), read with CloudWatch Logs
//! `FilterLogEvents`: the filter pattern the core gives, the window asked for, page by page up to
//! the bound of calls. Read only: the console's role may filter this one group and nothing else.
use async_trait::async_trait;
use console_core::error::{Service, Unavailable};
use console_core::ports::{LogEvent, LogRead, PlatformLog};

use crate::adapters::unavailable;

pub struct ProcessorLog {
    client: aws_sdk_cloudwatchlogs::Client,
    group: String,
}

impl ProcessorLog {
    pub fn new(client: aws_sdk_cloudwatchlogs::Client, group: String) -> ProcessorLog {
        ProcessorLog { client, group }
    }
}

#[async_trait]
impl PlatformLog for ProcessorLog {
    fn source(&self) -> &str {
        &self.group
    }

    async fn read(&self, pattern: &str, from: i64, to: i64, max_calls: usize) -> Result<LogRead, Unavailable> {
        let mut events = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..max_calls.max(1) {
            let page = self
                .client
                .filter_log_events()
                .log_group_name(&self.group)
                .filter_pattern(pattern)
                .start_time(from)
                .end_time(to)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| unavailable(Service::CloudWatchLogs, e))?;
            events.extend(
                page.events()
                    .iter()
                    .filter_map(|e| Some(LogEvent { id: e.event_id()?.to_owned(), at: e.timestamp()?, message: e.message()?.to_owned() })),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_owned()),
                _ => break,
            }
        }
        events.sort_by_key(|e| e.at);
        Ok(LogRead { events, complete: next.is_none() })
    }
}

/// The processor's log group among the platform stack's resources: the Lambda function whose
/// logical id contains `WebhookProcessorFn` (its default group, `/aws/lambda/<name>`).
pub fn processor_group<'a>(resources: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Option<String> {
    resources
        .into_iter()
        .find(|(logical, kind, physical)| {
            logical.contains("WebhookProcessorFn") && *kind == "AWS::Lambda::Function" && !physical.is_empty()
        })
        .map(|(_, _, physical)| format!("/aws/lambda/{physical}"))
}

/// Asks CloudFormation for the platform stack's resources and finds the processor's group. A
/// failure is the reason the pages give (the console runs without the platform's drops).
pub async fn find_processor_group(client: &aws_sdk_cloudformation::Client, stack: &str) -> Result<Option<String>, String> {
    let out = client.describe_stack_resources().stack_name(stack).send().await.map_err(|e| {
        format!("the platform stack's resources could not be listed ({}): set PLATFORM_PROCESSOR_LOG_GROUP", console_core::error::chain(&e))
    })?;
    let found = out
        .stack_resources()
        .iter()
        .filter_map(|r| Some((r.logical_resource_id()?, r.resource_type()?, r.physical_resource_id().unwrap_or_default())));
    Ok(processor_group(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_processor_is_the_function_named_webhook_processor() {
        let resources = [
            ("LinearIntegrationWebhookFn1A2B", "AWS::Lambda::Function", "stack-LinearIntegrationWebhookFn-AAA"),
            ("LinearIntegrationWebhookProcessorFnServiceRole9", "AWS::IAM::Role", "stack-role"),
            ("LinearIntegrationWebhookProcessorFn3C4D", "AWS::Lambda::Function", "stack-LinearIntegrationWebhookProc-BBB"),
        ];
        assert_eq!(processor_group(resources), Some("/aws/lambda/stack-LinearIntegrationWebhookProc-BBB".to_owned()));
        assert_eq!(processor_group(resources[..2].iter().copied()), None);
    }
}
