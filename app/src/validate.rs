//! The shapes of what the console accepts from a browser besides ids (which `console_core::ids`
//! parses): free text, search prefixes, page numbers, states and days, each parsed at the edge
//! before anything reads it. A refusal names the field; it is the client's mistake (400), never
//! reaches DynamoDB's or Cognito's parsers, and nothing unbounded is echoed into a URL or a header.
use console_core::codes::Code;

/// A refusal, naming the field: shown to the user as is.
pub type Checked<T> = Result<T, String>;

/// Free text a person types in a form (a search, a confirmation): bounded, no control characters.
pub fn text<'a>(field: &str, v: &'a str, max: usize) -> Checked<&'a str> {
    if v.chars().count() > max {
        return Err(format!("{field} is too long (at most {max} characters)."));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters."));
    }
    Ok(v)
}

/// The start of an email to search the user pool for: Cognito's filter syntax has no escaping,
/// so quotes and backslashes cannot be searched for.
pub fn email_prefix<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    let v = text(field, v, 128)?;
    if v.contains(['"', '\\']) {
        return Err(format!("{field} must not contain quotes or backslashes."));
    }
    Ok(v)
}

/// A page token the user pool gave (`next`): base64 characters only, at most 2048; whether the
/// pool made it is the pool's to say (a refusal answered as the client's mistake).
pub fn page_token<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    if v.len() > 2048 {
        return Err(format!("{field} is too long (at most 2048 characters)."));
    }
    if !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')) {
        return Err(format!("{field} must be a page token the console gave (letters, digits, +, /, =)."));
    }
    Ok(v)
}

/// A key a form names a row by (a link's `<org>#<user>`, or an invite's `pending#<code>`):
/// bounded, of id characters and `#`. Whether it is a key of a row is the service's to say (a
/// refusal it audits).
pub fn key<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 200, |c| c == '#', "a link's key")
}

/// An invite's code as a form names it: bounded, of id characters (whether it is one of the
/// platform's codes is the service's to say).
pub fn code<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 64, |_| false, "an invite code")
}

/// An id a form names something by that is not one of the core's typed ids (a Linear team's):
/// letters, digits, `-` and `_`, at most 64.
pub fn id<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 64, |_| false, "an id of letters, digits and dashes")
}

/// An audit event's key as the audit page gives it (`<RFC 3339 time>#<id>`).
pub fn audit_key<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 100, |c| matches!(c, ':' | '.' | '#' | '+'), "an audit event's key")
}

/// Letters, digits, `-`, `_` and what `more` lets in, at most `max` characters.
fn shaped<'a>(field: &str, v: &'a str, max: usize, more: impl Fn(char) -> bool, what: &str) -> Checked<&'a str> {
    if v.is_empty() {
        return Err(format!("{field} is required."));
    }
    if v.chars().count() > max {
        return Err(format!("{field} is too long (at most {max} characters)."));
    }
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || more(c)) {
        return Err(format!("{field} must be {what}."));
    }
    Ok(v)
}

/// A page number in a URL (1-based; empty: the first).
pub fn page(field: &str, v: &str) -> Checked<Option<u32>> {
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() <= 6 && v.chars().all(|c| c.is_ascii_digit());
    ok.then(|| v.parse().ok()).flatten().map(Some).ok_or_else(|| format!("{field} must be a page number."))
}

/// A page number in a URL as the index of the page (the first when empty).
pub fn page_index(field: &str, v: &str) -> Checked<usize> {
    Ok(page(field, v)?.map_or(0, |p| (p as usize).saturating_sub(1)))
}

/// One of an enum's codes (a state, a kind, a sort) in a URL or a form; empty: none chosen.
pub fn choice<T: Code>(field: &str, v: &str) -> Checked<Option<T>> {
    if v.is_empty() {
        return Ok(None);
    }
    T::from_code(v).map(Some).ok_or_else(|| {
        let known: Vec<&str> = T::ALL.iter().map(|t| t.code()).collect();
        format!("{field} must be one of: {}.", known.join(", "))
    })
}

/// A UTC day, `YYYY-MM-DD` (empty: unset).
pub fn day(field: &str, v: &str) -> Checked<Option<time::Date>> {
    if v.is_empty() {
        return Ok(None);
    }
    let shaped = v.len() == 10 && v.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    let parsed = shaped.then(|| time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()).flatten();
    parsed.map(Some).ok_or_else(|| format!("{field} must be a day as YYYY-MM-DD."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_bounded_and_has_no_control_characters() {
        assert!(text("q", "Ada Lovelace", 128).is_ok());
        assert!(text("q", "ünïcode ok", 128).is_ok());
        assert!(text("q", &"a".repeat(100_000), 128).unwrap_err().contains("at most 128"));
        assert!(text("q", "a\nb", 128).is_err());
        assert!(email_prefix("prefix", "ada@").is_ok());
        assert!(email_prefix("prefix", "a\"b").is_err());
        assert!(code("code", "link-k7mp2x9q").is_ok() && key("identity", "org#user").is_ok());
        assert!(code("code", "<script>").unwrap_err().starts_with("code ") && code("code", "a#b").is_err());
        assert!(key("identity", "a b").is_err());
    }

    #[test]
    fn url_parameters_are_parsed_as_the_pages_write_them() {
        assert_eq!(page("page", ""), Ok(None));
        assert_eq!(page("page", "12"), Ok(Some(12)));
        assert!(page("page", "-1").unwrap_err().starts_with("page ") && page("page", "9999999").is_err());
        use console_core::link_states::LinkState;
        assert_eq!(choice("state", "linked"), Ok(Some(LinkState::Linked)));
        assert_eq!(choice::<LinkState>("state", ""), Ok(None));
        let refused = choice::<LinkState>("state", "bogus").unwrap_err();
        assert!(refused.starts_with("state must be one of: linked, "), "{refused}");
        assert_eq!((page_index("page", ""), page_index("page", "3"), page_index("page", "0")), (Ok(0), Ok(2), Ok(0)));
        assert!(page_index("page", "-1").is_err());
        assert_eq!(day("from", "2026-11-30").unwrap().map(|d| d.day()), Some(30));
        assert_eq!(day("from", ""), Ok(None));
        assert!(day("from", "2026-1-30").is_err() && day("from", "30/11/2026").is_err() && day("from", "2026-02-31").is_err());
    }
}
