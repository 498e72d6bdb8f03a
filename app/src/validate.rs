//! The shapes the console accepts from a browser, checked at the edge before anything reads
//! them: every field has a length and a character set, and a refusal names the field. What fails
//! here is the client's mistake (400); it never reaches DynamoDB's or Cognito's parsers, and
//! nothing unbounded is echoed into a URL or a header.
use crate::user_links_view::LinkState;

/// A refusal, naming the field: shown to the user as is.
pub type Checked<T> = Result<T, String>;

fn shaped<'a>(field: &str, v: &'a str, max: usize, ok: impl Fn(char) -> bool, what: &str) -> Checked<&'a str> {
    if v.is_empty() {
        return Err(format!("{field} is required."));
    }
    if v.chars().count() > max {
        return Err(format!("{field} is too long (at most {max} characters)."));
    }
    if !v.chars().all(ok) {
        return Err(format!("{field} must be {what}."));
    }
    Ok(v)
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A Linear organization's id (a UUID at Linear; any id of letters, digits, `-` and `_` reads).
pub fn org_id<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 64, id_char, "an id of letters, digits and dashes")
}

/// A Linear user's id, or a Cognito `sub`.
pub fn user_id<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 128, id_char, "an id of letters, digits and dashes")
}

/// A user-mapping row's key: `<org id>#<user id>` or `pending#<code>`.
pub fn mapping_key<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 200, |c| id_char(c) || c == '#', "a link's key")
}

/// An invite code as the console makes them.
pub fn invite_code<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    shaped(field, v, 64, id_char, "an invite code")
}

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

/// A page number in a URL (empty: the first).
pub fn page<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    if v.is_empty() {
        return Ok(v);
    }
    shaped(field, v, 6, |c| c.is_ascii_digit(), "a page number")
}

/// A link-state filter in a URL (empty: every state).
pub fn link_state<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    if v.is_empty() || LinkState::from_code(v).is_some() {
        Ok(v)
    } else {
        Err(format!("{field} is not a state this page filters by."))
    }
}

/// A UTC day, `YYYY-MM-DD` (empty: unset).
pub fn day<'a>(field: &str, v: &'a str) -> Checked<&'a str> {
    let ok = v.is_empty() || (v.len() == 10 && v.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() }));
    if ok {
        Ok(v)
    } else {
        Err(format!("{field} must be a day as YYYY-MM-DD."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_plain() {
        assert!(org_id("workspace", "9cfb4d1e-5b7a-4d25-9a3b-2f0c8e6d1a01").is_ok());
        assert_eq!(org_id("workspace", "").unwrap_err(), "workspace is required.");
        assert!(org_id("workspace", &"a".repeat(65)).unwrap_err().contains("too long"));
        for bad in ["../etc", "a b", "x\0", "a#b", "é", "<script>"] {
            assert!(org_id("workspace", bad).unwrap_err().starts_with("workspace must be"), "{bad:?}");
        }
        assert!(mapping_key("identity", "4f6b3c1e-2a7d#c1d2e3f4").is_ok());
        assert!(mapping_key("identity", "pending#link-k7mp2x9q").is_ok());
    }

    #[test]
    fn free_text_is_bounded_and_has_no_control_characters() {
        assert!(text("q", "Ada Lovelace", 128).is_ok());
        assert!(text("q", "ünïcode ok", 128).is_ok());
        assert!(text("q", &"a".repeat(100_000), 128).unwrap_err().contains("at most 128"));
        assert!(text("q", "a\nb", 128).is_err());
        assert!(email_prefix("prefix", "ada@").is_ok());
        assert!(email_prefix("prefix", "a\"b").is_err());
    }

    #[test]
    fn url_parameters_are_what_the_pages_write() {
        assert!(page("page", "").is_ok() && page("page", "12").is_ok());
        assert!(page("page", "-1").is_err() && page("page", "9999999").is_err());
        assert!(day("from", "2026-11-30").is_ok() && day("from", "").is_ok());
        assert!(day("from", "2026-1-30").is_err() && day("from", "30/11/2026").is_err());
    }
}
