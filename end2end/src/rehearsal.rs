//! The deployment rehearsal's template work (`end2end/scripts/rehearsal.sh`): which of the console
//! stack's resources moto's CloudFormation creates, which the rehearsal makes with the SDK because
//! moto's CloudFormation has no such resource, which it skips and why; the template moto is given
//! (the role's policy with its resources widened, see [`crate::iam`]); and the template's intrinsic
//! functions resolved against what was made.
use std::collections::BTreeMap;

use serde_json::{json, Value};

/// What becomes of one resource of the console's stack in the rehearsal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Created by moto's CloudFormation from the template.
    Stack,
    /// Made with the SDK (moto's CloudFormation has no such resource type).
    Sdk,
    /// Not made, for the reason given.
    Skipped(&'static str),
}

/// The function that runs the console: its logical id, its role's, and its role's policy's.
#[derive(Debug, Clone)]
pub struct Console {
    pub function: String,
    pub role: String,
    pub policy: String,
}

fn resources(template: &Value) -> impl Iterator<Item = (&String, &Value)> {
    template["Resources"].as_object().into_iter().flat_map(|m| m.iter())
}

/// Finds the console's function (the one whose environment names the platform stack), its role and
/// the role's policy.
pub fn console(template: &Value) -> Result<Console, String> {
    let (function, f) = resources(template)
        .find(|(_, r)| {
            r["Type"] == "AWS::Lambda::Function" && r["Properties"]["Environment"]["Variables"]["PLATFORM_STACK_NAME"].is_string()
        })
        .ok_or("the template has no function with PLATFORM_STACK_NAME in its environment")?;
    let role = f["Properties"]["Role"]["Fn::GetAtt"][0].as_str().ok_or("the console's function has no role of the stack's")?.to_owned();
    let (policy, _) = resources(template)
        .find(|(_, r)| {
            r["Type"] == "AWS::IAM::Policy" && r["Properties"]["Roles"].as_array().is_some_and(|a| a.contains(&json!({ "Ref": role })))
        })
        .ok_or("the console's role has no policy in the template")?;
    Ok(Console { function: function.clone(), role, policy: policy.clone() })
}

/// Each resource's fate, in the template's order.
pub fn fates(template: &Value, console: &Console) -> Vec<(String, String, Fate)> {
    resources(template)
        .map(|(id, r)| {
            let kind = r["Type"].as_str().unwrap_or("").to_owned();
            let fate = match kind.as_str() {
                "AWS::DynamoDB::Table" | "AWS::SNS::Topic" | "AWS::S3::Bucket" => Fate::Stack,
                "AWS::IAM::Role" | "AWS::IAM::Policy" if *id == console.role || *id == console.policy => Fate::Stack,
                "AWS::IAM::Role" | "AWS::IAM::Policy" => Fate::Skipped("a role of the CDK's deployment helpers, which run in Lambda"),
                "AWS::Logs::LogGroup" => Fate::Stack,
                "AWS::SecretsManager::Secret" | "AWS::Cognito::UserPoolGroup" | "AWS::Logs::LogStream" => Fate::Sdk,
                "AWS::Lambda::Function" if *id == console.function => {
                    Fate::Skipped("the console runs as a process with the role's credentials and the function's environment")
                }
                "AWS::SNS::TopicPolicy" => Fate::Skipped("moto's CloudFormation has none; it only refuses publishing without TLS"),
                "AWS::S3::BucketPolicy" | "AWS::CloudFront::Distribution" | "AWS::CloudFront::OriginAccessControl" => {
                    Fate::Skipped("CloudFront: moto has none; the rehearsal's client adds the origin header itself")
                }
                "AWS::Events::Rule" => Fate::Skipped("the sweep's schedule targets the function; the console's own interval runs it"),
                _ if kind.starts_with("Custom::") || kind.starts_with("AWS::Lambda::") => {
                    Fate::Skipped("a Lambda function URL, permission or deployment helper: moto runs no Lambda here")
                }
                _ => Fate::Skipped("not a resource the console calls"),
            };
            (id.clone(), kind, fate)
        })
        .collect()
}

/// Every `{"Ref": id}` whose id is in `made` replaced by its value.
fn substitute(v: &Value, made: &BTreeMap<String, String>) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.get("Ref").and_then(Value::as_str).is_some_and(|id| made.contains_key(id)) => {
            Value::String(made[m["Ref"].as_str().unwrap_or_default()].clone())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), substitute(v, made))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, made)).collect()),
        other => other.clone(),
    }
}

/// A policy document with every statement's resources widened to `*`: moto checks actions against
/// the resource `*` only, which a statement naming resources never matches.
pub fn widened(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(list) = doc["Statement"].as_array_mut() {
        for s in list {
            s["Resource"] = json!("*");
        }
    }
    doc
}

/// The template moto's CloudFormation is given: the resources it creates, references to those the
/// SDK made replaced by their values (`made`: logical id → what `Ref` gives), the role's policy
/// widened, and no parameters, rules or outputs (the CDK's bootstrap version lives in SSM).
pub fn stack_template(template: &Value, console: &Console, fates: &[(String, String, Fate)], made: &BTreeMap<String, String>) -> Value {
    let kept: Vec<&String> = fates.iter().filter(|(_, _, f)| *f == Fate::Stack).map(|(id, _, _)| id).collect();
    let mut out = serde_json::Map::new();
    for (id, r) in resources(template).filter(|(id, _)| kept.contains(id)) {
        let mut r = substitute(r, made);
        if let Some(deps) = r.get("DependsOn").cloned() {
            let deps: Vec<Value> = match deps {
                Value::Array(a) => a,
                one => vec![one],
            };
            let deps: Vec<Value> = deps.into_iter().filter(|d| d.as_str().is_some_and(|d| kept.iter().any(|k| *k == d))).collect();
            r["DependsOn"] = Value::Array(deps);
        }
        if *id == console.policy {
            r["Properties"]["PolicyDocument"] = widened(&r["Properties"]["PolicyDocument"]);
        }
        out.insert(id.clone(), r);
    }
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": out })
}

/// What the template's intrinsic functions give: `Ref` and `Fn::GetAtt … Arn` per logical id, and
/// the pseudo parameters.
pub struct Resolver {
    pub refs: BTreeMap<String, String>,
    pub arns: BTreeMap<String, String>,
    pub region: String,
    pub account: String,
    pub stack: String,
}

impl Resolver {
    /// What `Ref` and `Arn` give for a resource of `kind` made as `physical`.
    pub fn add(&mut self, id: &str, kind: &str, physical: &str) {
        let (region, account) = (&self.region, &self.account);
        let arn = match kind {
            "AWS::DynamoDB::Table" => Some(format!("arn:aws:dynamodb:{region}:{account}:table/{physical}")),
            "AWS::IAM::Role" => Some(format!("arn:aws:iam::{account}:role/{physical}")),
            "AWS::S3::Bucket" => Some(format!("arn:aws:s3:::{physical}")),
            "AWS::SNS::Topic" | "AWS::SecretsManager::Secret" => Some(physical.to_owned()),
            _ => None,
        };
        self.refs.insert(id.to_owned(), physical.to_owned());
        if let Some(arn) = arn {
            self.arns.insert(id.to_owned(), arn);
        }
    }

    /// `v` with its intrinsic functions replaced by their values.
    pub fn resolve(&self, v: &Value) -> Result<Value, String> {
        let Value::Object(m) = v else {
            return match v {
                Value::Array(a) => a.iter().map(|v| self.resolve(v)).collect::<Result<Vec<_>, _>>().map(Value::Array),
                other => Ok(other.clone()),
            };
        };
        if m.len() == 1 {
            if let Some(id) = m.get("Ref").and_then(Value::as_str) {
                return self.reference(id).map(Value::String);
            }
            if let Some(att) = m.get("Fn::GetAtt") {
                let (id, name) = (att[0].as_str().unwrap_or(""), att[1].as_str().unwrap_or(""));
                return match (name, self.arns.get(id)) {
                    ("Arn", Some(arn)) => Ok(Value::String(arn.clone())),
                    _ => Err(format!("Fn::GetAtt {id}.{name}: not made in the rehearsal")),
                };
            }
            if let Some(join) = m.get("Fn::Join") {
                let sep = join[0].as_str().unwrap_or("");
                let parts = self.resolve(&join[1])?;
                let parts: Vec<String> = parts.as_array().into_iter().flatten().map(|p| p.as_str().unwrap_or("").to_owned()).collect();
                return Ok(Value::String(parts.join(sep)));
            }
            if let Some(sub) = m.get("Fn::Sub").and_then(Value::as_str) {
                let mut out = String::new();
                let mut rest = sub;
                while let Some(start) = rest.find("${") {
                    let end = rest[start..].find('}').ok_or("Fn::Sub: an unclosed ${")? + start;
                    out.push_str(&rest[..start]);
                    out.push_str(&self.reference(&rest[start + 2..end])?);
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                return Ok(Value::String(out));
            }
        }
        m.iter().map(|(k, v)| Ok((k.clone(), self.resolve(v)?))).collect::<Result<serde_json::Map<_, _>, String>>().map(Value::Object)
    }

    fn reference(&self, id: &str) -> Result<String, String> {
        match id {
            "AWS::Partition" => Ok("aws".into()),
            "AWS::Region" => Ok(self.region.clone()),
            "AWS::AccountId" => Ok(self.account.clone()),
            "AWS::StackName" => Ok(self.stack.clone()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            _ => self.refs.get(id).cloned().ok_or_else(|| format!("Ref {id}: not made in the rehearsal")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Value {
        json!({ "Resources": {
            "Sessions": { "Type": "AWS::DynamoDB::Table", "Properties": { "KeySchema": [] } },
            "Key": { "Type": "AWS::SecretsManager::Secret", "Properties": {} },
            "Role": { "Type": "AWS::IAM::Role", "Properties": {} },
            "RolePolicy": { "Type": "AWS::IAM::Policy", "Properties": { "Roles": [{ "Ref": "Role" }], "PolicyDocument": { "Statement": [
                { "Sid": "Tables", "Effect": "Allow", "Action": "dynamodb:GetItem",
                  "Resource": [{ "Fn::GetAtt": ["Sessions", "Arn"] }, { "Fn::Join": ["", [{ "Fn::GetAtt": ["Sessions", "Arn"] }, "/index/ByMember"]] }] },
                { "Sid": "Key", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": { "Ref": "Key" } },
            ] } } },
            "HelperRole": { "Type": "AWS::IAM::Role", "Properties": {} },
            "Fn": { "Type": "AWS::Lambda::Function", "DependsOn": ["RolePolicy", "Role"], "Properties": {
                "Role": { "Fn::GetAtt": ["Role", "Arn"] },
                "Environment": { "Variables": { "PLATFORM_STACK_NAME": "p", "CONSOLE_SESSIONS_TABLE": { "Ref": "Sessions" }, "KEY": { "Ref": "Key" } } } } },
            "Cdn": { "Type": "AWS::CloudFront::Distribution", "Properties": {} },
        }, "Parameters": { "BootstrapVersion": {} } })
    }

    #[test]
    fn moto_is_given_what_it_can_create_with_the_policy_widened_and_the_sdks_resources_by_value() {
        let t = template();
        let c = console(&t).unwrap();
        assert_eq!((c.function.as_str(), c.role.as_str(), c.policy.as_str()), ("Fn", "Role", "RolePolicy"));
        let fates = fates(&t, &c);
        let fate = |id: &str| fates.iter().find(|(i, _, _)| i == id).map(|(_, _, f)| f.clone()).unwrap();
        assert_eq!((fate("Sessions"), fate("Role"), fate("RolePolicy"), fate("Key")), (Fate::Stack, Fate::Stack, Fate::Stack, Fate::Sdk));
        assert!(
            matches!(fate("HelperRole"), Fate::Skipped(_))
                && matches!(fate("Fn"), Fate::Skipped(_))
                && matches!(fate("Cdn"), Fate::Skipped(_))
        );
        let made = BTreeMap::from([("Key".to_owned(), "arn:aws:secretsmanager:us-east-1:1:secret:key-AbCdEf".to_owned())]);
        let out = stack_template(&t, &c, &fates, &made);
        let names: Vec<&String> = out["Resources"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["Role", "RolePolicy", "Sessions"]);
        assert!(out.get("Parameters").is_none());
        let statements = &out["Resources"]["RolePolicy"]["Properties"]["PolicyDocument"]["Statement"];
        assert!(statements.as_array().unwrap().iter().all(|s| s["Resource"] == "*"), "widened for moto");
        assert_eq!(
            t["Resources"]["RolePolicy"]["Properties"]["PolicyDocument"]["Statement"][1]["Resource"],
            json!({ "Ref": "Key" }),
            "the original is kept"
        );
    }

    #[test]
    fn the_real_statements_and_the_functions_environment_resolve_against_what_was_made() {
        let t = template();
        let mut r =
            Resolver { refs: BTreeMap::new(), arns: BTreeMap::new(), region: "us-east-1".into(), account: "1".into(), stack: "s".into() };
        r.add("Sessions", "AWS::DynamoDB::Table", "s-Sessions-ABC");
        r.add("Key", "AWS::SecretsManager::Secret", "arn:aws:secretsmanager:us-east-1:1:secret:key-AbCdEf");
        let doc = r.resolve(&t["Resources"]["RolePolicy"]["Properties"]["PolicyDocument"]).unwrap();
        assert_eq!(doc["Statement"][0]["Resource"][1], "arn:aws:dynamodb:us-east-1:1:table/s-Sessions-ABC/index/ByMember");
        assert_eq!(doc["Statement"][1]["Resource"], "arn:aws:secretsmanager:us-east-1:1:secret:key-AbCdEf");
        let env = r.resolve(&t["Resources"]["Fn"]["Properties"]["Environment"]["Variables"]).unwrap();
        assert_eq!(env["CONSOLE_SESSIONS_TABLE"], "s-Sessions-ABC");
        assert!(r.resolve(&json!({ "Fn::GetAtt": ["Cdn", "DomainName"] })).is_err(), "what was skipped cannot be named");
        assert_eq!(r.resolve(&json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:x" })).unwrap(), "arn:aws:iam::1:x");
    }
}
