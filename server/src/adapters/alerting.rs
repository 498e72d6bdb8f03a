//! Where alerts go: SNS topics (which the platform's operators already route to email, Slack and
//! PagerDuty), Slack incoming webhooks, and generic HTTPS webhooks signed with HMAC-SHA256. A
//! webhook URL is a secret (its path authorizes the post): it is never shown or logged whole.
//!
//! Signed webhooks: the body is the message's JSON; `X-Console-Timestamp` is the Unix time of the
//! send; `X-Console-Signature` is `v1=` and the hex HMAC-SHA256, keyed with the configured secret,
//! of `<timestamp>.<body>`. A receiver recomputes it, compares in constant time, and refuses a
//! timestamp more than 5 minutes from its clock (a replay).
use async_trait::async_trait;
use console_core::incidents::AlertMessage;
use console_core::ports::{AlertSender, Channel, SendError};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

#[derive(Clone, Debug)]
pub struct HttpSender {
    sns: aws_sdk_sns::Client,
    http: reqwest::Client,
}

impl HttpSender {
    pub fn new(sns: aws_sdk_sns::Client, http: reqwest::Client) -> HttpSender {
        HttpSender { sns, http }
    }
}

#[async_trait]
impl AlertSender for HttpSender {
    /// One attempt to deliver `msg`; the error says why, without the URL.
    async fn send(&self, channel: &Channel, msg: &AlertMessage, now: i64) -> Result<(), SendError> {
        self.deliver(channel, msg, now).await.map_err(SendError)
    }

    /// A lifecycle event to a signed webhook (the same headers as an alert); other channels take none.
    async fn post_event(&self, channel: &Channel, body: &str, now: i64) -> Result<(), SendError> {
        let Channel::Webhook { url, secret } = channel else { return Err(SendError("only webhooks take lifecycle events".into())) };
        let mut headers = vec![("x-console-timestamp", now.to_string())];
        if let Some(secret) = secret {
            headers.push(("x-console-signature", signature(secret.expose_secret(), now, body)));
        }
        self.post(url, body.to_owned(), &headers).await.map_err(SendError)
    }
}

impl HttpSender {
    async fn deliver(&self, channel: &Channel, msg: &AlertMessage, now: i64) -> Result<(), String> {
        let body = serde_json::to_string(msg).map_err(|e| e.to_string())?;
        match channel {
            Channel::Sns { topic_arn } => {
                let subject: String = msg.title.chars().filter(|c| !c.is_control()).take(99).collect();
                let event = string_attribute(msg.event.code())?;
                self.sns
                    .publish()
                    .topic_arn(topic_arn)
                    .subject(subject)
                    .message(format!("{}\n\n{}\n\n{}", msg.title, msg.text, msg.link))
                    .message_attributes("event", event)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("SNS: {}", aws_sdk_sns::error::DisplayErrorContext(e)))
            }
            Channel::Slack { url } => {
                let slack = serde_json::json!({ "text": format!("*{}*\n{}\n<{}|Open the workspace>", msg.title, msg.text, msg.link) });
                self.post(url, slack.to_string(), &[]).await
            }
            Channel::Webhook { url, secret } => {
                let mut headers = vec![("x-console-timestamp", now.to_string())];
                if let Some(secret) = secret {
                    headers.push(("x-console-signature", signature(secret.expose_secret(), now, &body)));
                }
                self.post(url, body, &headers).await
            }
        }
    }

    async fn post(&self, url: &SecretString, body: String, headers: &[(&str, String)]) -> Result<(), String> {
        let mut req = self.http.post(url.expose_secret()).header("content-type", "application/json").body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        match req.send().await {
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => Err(format!("HTTP {}", res.status().as_u16())),
            // reqwest's error text names the URL: say only what kind of failure it was.
            Err(e) if e.is_timeout() => Err("timed out".to_owned()),
            Err(e) if e.is_connect() => Err("could not connect".to_owned()),
            Err(_) => Err("the request failed".to_owned()),
        }
    }
}

fn string_attribute(v: &str) -> Result<aws_sdk_sns::types::MessageAttributeValue, String> {
    aws_sdk_sns::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(|e| format!("SNS attribute: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_documented_recipe() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"topsecret", b"1700000000.{\"a\":1}", hashlib.sha256).hexdigest())'
        assert_eq!(
            signature("topsecret", 1_700_000_000, r#"{"a":1}"#),
            "v1=6a939b0c71853d606167625a15168ee9188c6a511c773ef4f42d307f3849e50f"
        );
    }

    #[test]
    fn a_webhook_is_named_by_its_host_only() {
        let c = Channel::Slack { url: SecretString::from("https://hooks.slack.com/services/T000/B000/XXXX") };
        assert_eq!(c.label(), "slack hooks.slack.com");
        assert!(!format!("{c:?}").contains("XXXX"), "Debug hides the URL");
    }
}
