//! Percent-encoding for the URLs the console writes: one encoder (the `percent-encoding` crate's),
//! with RFC 3986's unreserved characters left as they are.
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but letters, digits and `-_.~` is encoded: a query's value, a path's segment.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// As [`COMPONENT`], with `/` kept: a path given as a value (`/login?next=/audit`).
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// A query value or a path segment.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A path carried in a query value, its slashes kept readable.
pub fn enc_path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

/// `k=v&…` of the pairs whose value is not empty, each value encoded: the query of a view's URL.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

/// A page's index as its URL holds it (1-based), empty for the first: the first page's URL is the
/// plain one.
pub fn page_number(index: usize) -> String {
    if index == 0 {
        String::new()
    } else {
        (index + 1).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_paths_are_encoded_as_rfc_3986_says() {
        assert_eq!(enc("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(enc("link-k7mp.~_"), "link-k7mp.~_");
        assert_eq!(enc_path("/audit?a=b&c=d"), "/audit%3Fa%3Db%26c%3Dd");
        assert_eq!(query(&[("q", "a&b"), ("state", ""), ("page", "2")]), "q=a%26b&page=2");
    }
}
