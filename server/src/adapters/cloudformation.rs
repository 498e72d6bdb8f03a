//! The platform stack's outputs, read once at start with CloudFormation `DescribeStacks`: the
//! table names, the webhook secret and the user pool the console works on.
use std::collections::HashMap;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::Client;

/// Why the stack's outputs could not be read. Each message names the stack and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(
        "the platform stack {stack} does not exist in this account and region: check PLATFORM_STACK_NAME and AWS_REGION \
         (the platform's default is backgroundagent-dev)"
    )]
    Missing { stack: String },
    #[error(
        "reading the platform stack {stack} was denied: the console's role needs cloudformation:DescribeStacks on it \
         (or set the stack's outputs as variables and unset PLATFORM_STACK_NAME)"
    )]
    Denied {
        stack: String,
        #[source]
        cause: console_core::error::Cause,
    },
    #[error("CloudFormation could not be asked for the platform stack {stack}: {}", console_core::error::chain(.cause.as_ref()))]
    Unavailable {
        stack: String,
        #[source]
        cause: console_core::error::Cause,
    },
}

/// Every output of `stack`, by its key.
pub async fn stack_outputs(client: &Client, stack: &str) -> Result<HashMap<String, String>, StackError> {
    let out = match client.describe_stacks().stack_name(stack).send().await {
        Ok(out) => out,
        Err(e) => {
            let code = e.code().unwrap_or_default().to_owned();
            let message = e.message().unwrap_or_default().to_owned();
            return Err(match code.as_str() {
                // CloudFormation answers a missing stack with a ValidationError.
                "ValidationError" if message.contains("does not exist") => StackError::Missing { stack: stack.to_owned() },
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    StackError::Denied { stack: stack.to_owned(), cause: Box::new(e) }
                }
                _ => StackError::Unavailable { stack: stack.to_owned(), cause: Box::new(e) },
            });
        }
    };
    let Some(found) = out.stacks().first() else { return Err(StackError::Missing { stack: stack.to_owned() }) };
    Ok(found.outputs().iter().filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned()))).collect())
}
