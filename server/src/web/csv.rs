//! CSV lines as the exports write them: quoted where needed, and a cell a spreadsheet would run as
//! a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) defused with a leading `'`.

/// One record, with its line end.
pub fn line(cells: &[&str]) -> String {
    let mut out = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push('\n');
    out
}

fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_where_needed_and_formulas_defused() {
        assert_eq!(super::line(&["a", "b,c", "say \"hi\"", "=SUM(A1)", "-1"]), "a,\"b,c\",\"say \"\"hi\"\"\",'=SUM(A1),'-1\n");
    }
}
