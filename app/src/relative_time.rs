//! "in 42 min" / "3 h ago" for ISO-8601 UTC times, relative to the time the server answered
//! (`WorkspaceList::as_of`), so the server's HTML and the hydrated page say the same thing.

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)`; `None` for anything else.
pub fn epoch_seconds(iso: &str) -> Option<i64> {
    let b = iso.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| iso.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &iso[19..];
    let zone = rest.strip_prefix('.').map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit())).unwrap_or(rest);
    if !matches!(zone, "Z" | "+00:00") || !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `then` as seen from `now`: "in 5 min", "2 h 10 min ago", "just now"; `None` if either is unreadable.
pub fn relative(now: &str, then: &str) -> Option<String> {
    let delta = epoch_seconds(then)? - epoch_seconds(now)?;
    let a = delta.unsigned_abs();
    if a < 60 {
        return Some("just now".into());
    }
    let span = match a {
        a if a < 3600 => format!("{} min", a / 60),
        a if a < 86_400 => match (a % 3600) / 60 {
            0 => format!("{} h", a / 3600),
            m => format!("{} h {m} min", a / 3600),
        },
        a => format!("{} d", a / 86_400),
    };
    Some(if delta > 0 { format!("in {span}") } else { format!("{span} ago") })
}

/// `2026-11-23 12:00:05 UTC`: the exact time, to the second (a fraction is dropped); an unreadable
/// value as it is.
pub fn exact(iso: &str) -> String {
    match epoch_seconds(iso) {
        Some(_) => format!("{} {} UTC", &iso[..10], &iso[11..19]),
        None => iso.to_owned(),
    }
}

/// Now, as the server renders a page (the pages outside islands are rendered only there).
pub fn now_iso() -> String {
    #[cfg(feature = "ssr")]
    {
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

/// `at` from now, as people read it ("4 min ago", "in 23 h"); the exact time if it cannot be.
pub fn ago_text(at: &str) -> String {
    relative(&now_iso(), at).unwrap_or_else(|| exact(at))
}

/// A time as every page shows one: relative (to `now`, the server's answer time, or the render's),
/// with the exact time on hover (and in `datetime`).
#[leptos::component]
pub fn When(
    #[prop(into)] at: String,
    #[prop(optional, into)] now: Option<String>,
    #[prop(optional, into)] class: Option<String>,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let now = now.filter(|n| !n.is_empty()).unwrap_or_else(now_iso);
    let text = relative(&now, &at).unwrap_or_else(|| exact(&at));
    let class = class.unwrap_or_else(|| "block text-xs text-slate-500 dark:text-slate-400".to_owned());
    view! { <time datetime=at.clone() title=exact(&at) class=class>{text}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_platforms_iso_times() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2026-11-23T12:00:00.000Z"), Some(1_795_435_200));
        assert_eq!(epoch_seconds("2000-03-01T00:00:00+00:00"), Some(951_868_800));
        assert_eq!(epoch_seconds("2026-11-23T12:00:00+02:00"), None, "only UTC is written by the platform");
        assert_eq!(epoch_seconds("2026-13-01T00:00:00Z"), None);
        assert_eq!(epoch_seconds("yesterday"), None);
    }

    #[test]
    fn says_how_far_and_which_way() {
        let now = "2026-11-23T12:00:00.000Z";
        assert_eq!(relative(now, "2026-11-23T12:00:30.000Z").as_deref(), Some("just now"));
        assert_eq!(relative(now, "2026-11-23T12:42:00.000Z").as_deref(), Some("in 42 min"));
        assert_eq!(relative(now, "2026-11-23T14:10:00.000Z").as_deref(), Some("in 2 h 10 min"));
        assert_eq!(relative(now, "2026-11-23T09:00:00.000Z").as_deref(), Some("3 h ago"));
        assert_eq!(relative(now, "2026-11-20T12:00:00.000Z").as_deref(), Some("3 d ago"));
        assert_eq!(relative(now, "not a time"), None);
    }

    #[test]
    fn the_exact_time_drops_the_fraction_and_keeps_an_unreadable_value() {
        assert_eq!(exact("2026-11-23T12:00:05.123456789Z"), "2026-11-23 12:00:05 UTC");
        assert_eq!(exact("2026-11-23T12:00:05Z"), "2026-11-23 12:00:05 UTC");
        assert_eq!(exact("soon"), "soon");
    }
}
