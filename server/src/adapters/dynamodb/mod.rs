//! DynamoDB tables: the platform's registry, user mapping, project mapping and repositories, the console's sessions and audit log.
pub mod audit;
pub mod factors;
pub mod incidents;
pub mod install_links;
pub mod leases;
pub mod projects;
pub mod registry;
pub mod sessions;
pub mod sign_in_attempts;
pub mod user_mappings;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A text attribute.
pub fn text(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Puts each text attribute that is set; an unset one is left out of the item (never written empty).
pub fn put_texts(item: &mut Item, fields: &[(&str, &Option<String>)]) {
    for (k, v) in fields {
        if let Some(v) = v {
            item.insert((*k).to_owned(), text(v.as_str()));
        }
    }
}
