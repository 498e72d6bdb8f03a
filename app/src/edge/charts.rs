//! Health over time, drawn on the server as small SVGs (no chart library in the wasm): a 7-day
//! sparkline per registry row and a 90-day timeline on a workspace's page, one band per day
//! coloured by that day's worst health, incidents marked. Handed to the page as `data:` URIs.
use base64::Engine;
use console_core::health::Health;

/// A day's colour: green healthy, blue expiring, amber degraded, red needs reconnect or revoked,
/// grey when nothing was recorded.
fn colour(h: Option<Health>) -> &'static str {
    match h {
        None => "#cbd5e1",
        Some(Health::Healthy | Health::VaultManaged | Health::NotRegistered) => "#10b981",
        Some(Health::ExpiringSoon | Health::ExpiredRefreshable) => "#0ea5e9",
        Some(Health::Degraded) => "#f59e0b",
        Some(Health::NeedsReconnect | Health::Revoked) => "#ef4444",
    }
}

fn data_uri(svg: &str) -> String {
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

/// The days oldest first (`None`: no record that day); `marks`: indexes of days an incident opened.
pub fn strip(days: &[Option<Health>], marks: &[usize], band: u32, height: u32) -> String {
    let width = band * days.len() as u32;
    let mut svg =
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" viewBox="0 0 {width} {}">"#, height + 4, height + 4);
    for (i, h) in days.iter().enumerate() {
        let x = i as u32 * band;
        svg.push_str(&format!(
            r#"<rect x="{x}" y="4" width="{}" height="{height}" fill="{}"/>"#,
            band.saturating_sub(1).max(1),
            colour(*h)
        ));
    }
    for &i in marks {
        let x = i as u32 * band + band / 2;
        svg.push_str(&format!(r##"<path d="M{} 0 L{} 4 L{} 0 Z" fill="#7f1d1d"/>"##, x.saturating_sub(2), x, x + 2));
    }
    svg.push_str("</svg>");
    data_uri(&svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_band_per_day_in_its_colour_and_incidents_marked() {
        let uri = strip(&[Some(Health::Healthy), None, Some(Health::NeedsReconnect)], &[2], 10, 12);
        let svg = String::from_utf8(
            base64::engine::general_purpose::STANDARD.decode(uri.trim_start_matches("data:image/svg+xml;base64,")).unwrap(),
        )
        .unwrap();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("#10b981") && svg.contains("#cbd5e1") && svg.contains("#ef4444"));
        assert_eq!(svg.matches("<path").count(), 1, "one incident mark");
        assert!(svg.contains(r#"width="30""#));
    }
}
