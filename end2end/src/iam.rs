//! The role's policy as IAM evaluates it, for the calls moto recorded. moto checks a role's actions
//! but not its resources for these services (it authorizes every call against the resource `*`,
//! which a statement naming a table or a secret never matches), so the rehearsal deploys the policy
//! with its resources widened to `*` (moto then tests the actions) and checks every recorded call's
//! resource against the real statements here.
use base64::Engine;
use serde_json::Value;

pub struct Statement {
    pub sid: String,
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The statements of a resolved policy document (every intrinsic already replaced by its value).
pub fn statements(doc: &Value) -> Vec<Statement> {
    let list = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    list.iter()
        .map(|s| Statement {
            sid: s["Sid"].as_str().unwrap_or("(no Sid)").to_owned(),
            allow: s["Effect"] == "Allow",
            actions: strings(&s["Action"]),
            resources: strings(&s["Resource"]),
        })
        .collect()
}

/// IAM's wildcards: `*` any run of characters, `?` one.
pub fn glob(pattern: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The statement that allows `action` on `resource`, if one does and none denies it.
pub fn allowed_by<'a>(statements: &'a [Statement], action: &str, resource: &str) -> Option<&'a str> {
    let applies = |s: &Statement| {
        s.actions.iter().any(|a| glob(&a.to_lowercase(), &action.to_lowercase())) && s.resources.iter().any(|r| glob(r, resource))
    };
    if statements.iter().any(|s| !s.allow && applies(s)) {
        return None;
    }
    statements.iter().find(|s| s.allow && applies(s)).map(|s| s.sid.as_str())
}

/// One AWS call as moto recorded it: the IAM action, the resource IAM would authorize it on, and
/// whether it was signed (Cognito's sign-in calls are authorized by tokens, not by IAM).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    pub action: String,
    pub resource: String,
    pub signed: bool,
}

fn header<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["headers"].as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

/// The call a recorded request is, in `region` and `account`.
pub fn call_of(entry: &Value, region: &str, account: &str) -> Option<Call> {
    let raw = entry["body"].as_str().unwrap_or("");
    let body = if entry["body_encoded"] == true {
        String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(raw).ok()?).into_owned()
    } else {
        raw.to_owned()
    };
    let auth = header(entry, "authorization");
    let target = header(entry, "x-amz-target");
    let service = match auth.and_then(|a| a.split("Credential=").nth(1)).and_then(|c| c.split('/').nth(3)) {
        Some(s) => s.to_owned(),
        None if target.is_some_and(|t| t.starts_with("AWSCognitoIdentityProviderService")) => "cognito-idp".to_owned(),
        None => return None,
    };
    let action = match target {
        Some(t) => t.rsplit('.').next().unwrap_or(t).to_owned(),
        None => form_value(&body, "Action")?,
    };
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let field = |k: &str| json[k].as_str().map(str::to_owned);
    let resource = match service.as_str() {
        "dynamodb" => {
            let table = field("TableName").unwrap_or_default();
            let index = field("IndexName").map(|i| format!("/index/{i}")).unwrap_or_default();
            format!("arn:aws:dynamodb:{region}:{account}:table/{table}{index}")
        }
        "secretsmanager" => match field("SecretId").or_else(|| field("Name")) {
            Some(arn) if arn.starts_with("arn:") => arn,
            // A name: IAM authorizes it on the secret's ARN, the name with a six-character suffix.
            Some(name) => format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"),
            None => "*".to_owned(),
        },
        "cognito-idp" => match field("UserPoolId") {
            Some(pool) => format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool}"),
            None => "*".to_owned(),
        },
        "sns" => form_value(&body, "TopicArn").unwrap_or_else(|| "*".to_owned()),
        "logs" => match (field("logGroupName"), field("logStreamName")) {
            (Some(group), Some(stream)) => format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"),
            (Some(group), None) => format!("arn:aws:logs:{region}:{account}:log-group:{group}"),
            _ => "*".to_owned(),
        },
        // PutEvents is authorized on each entry's bus (the console puts one entry at a time).
        "events" => match json["Entries"][0]["EventBusName"].as_str().unwrap_or("default") {
            arn if arn.starts_with("arn:") => arn.to_owned(),
            name => format!("arn:aws:events:{region}:{account}:event-bus/{name}"),
        },
        "cloudformation" => match form_value(&body, "StackName") {
            Some(arn) if arn.starts_with("arn:") => arn,
            Some(name) => format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/00000000-0000-0000-0000-000000000000"),
            None => "*".to_owned(),
        },
        _ => "*".to_owned(),
    };
    Some(Call { action: format!("{service}:{action}"), resource, signed: auth.is_some() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> Vec<Statement> {
        statements(&json!({ "Statement": [
            { "Sid": "Tables", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
              "Resource": ["arn:aws:dynamodb:us-east-1:1:table/reg", "arn:aws:dynamodb:us-east-1:1:table/reg/index/*"] },
            { "Sid": "Bundles", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
              "Resource": "arn:aws:secretsmanager:us-east-1:1:secret:bgagent-linear-oauth-*" },
        ]}))
    }

    #[test]
    fn a_call_is_allowed_only_on_the_resources_its_statement_names() {
        let p = policy();
        assert_eq!(allowed_by(&p, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/reg"), Some("Tables"));
        assert_eq!(allowed_by(&p, "dynamodb:Query", "arn:aws:dynamodb:us-east-1:1:table/reg/index/ByOrg"), Some("Tables"));
        assert_eq!(allowed_by(&p, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/other"), None);
        assert_eq!(allowed_by(&p, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/registry"), None, "no prefix match");
        assert_eq!(allowed_by(&p, "dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:1:table/reg"), None);
        let bundle = "arn:aws:secretsmanager:us-east-1:1:secret:bgagent-linear-oauth-acme-AbCdEf";
        assert_eq!(allowed_by(&p, "SecretsManager:getSecretValue", bundle), Some("Bundles"), "actions ignore case");
        assert_eq!(allowed_by(&p, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:session-key-AbCdEf"), None);
    }

    #[test]
    fn a_recorded_request_names_its_action_and_resource() {
        let signed = "AWS4-HMAC-SHA256 Credential=ASIA/20261203/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x";
        let entry = json!({ "headers": { "Authorization": signed, "X-Amz-Target": "DynamoDB_20120810.Query" },
            "body": r#"{"TableName":"reg","IndexName":"ByOrg"}"#, "body_encoded": false });
        let call = call_of(&entry, "us-east-1", "1").unwrap();
        assert_eq!(
            call,
            Call { action: "dynamodb:Query".into(), resource: "arn:aws:dynamodb:us-east-1:1:table/reg/index/ByOrg".into(), signed: true }
        );
        let sns = "AWS4-HMAC-SHA256 Credential=ASIA/20261203/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x";
        let body =
            base64::engine::general_purpose::STANDARD.encode("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3Aalerts&Message=x");
        let entry = json!({ "headers": { "authorization": sns }, "body": body, "body_encoded": true });
        assert_eq!(call_of(&entry, "us-east-1", "1").unwrap().resource, "arn:aws:sns:us-east-1:1:alerts");
        let events = "AWS4-HMAC-SHA256 Credential=ASIA/20261203/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x";
        let entry = json!({ "headers": { "Authorization": events, "X-Amz-Target": "AWSEvents.PutEvents" },
            "body": r#"{"Entries":[{"EventBusName":"default","Source":"linear-console"}]}"#, "body_encoded": false });
        let call = call_of(&entry, "us-east-1", "1").unwrap();
        assert_eq!((call.action.as_str(), call.resource.as_str()), ("events:PutEvents", "arn:aws:events:us-east-1:1:event-bus/default"));
        let unsigned = json!({ "headers": { "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth" }, "body": "{}" });
        let call = call_of(&unsigned, "us-east-1", "1").unwrap();
        assert_eq!((call.action.as_str(), call.signed), ("cognito-idp:InitiateAuth", false));
    }
}
