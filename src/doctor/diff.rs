//! A per-table difference of two spec files as [`Spec::to_toml`](crate::Spec::to_toml)
//! writes them.

#[allow(unused_imports)]
use crate::prelude::*;

/// The tables of a TOML text in order: the header line (`""` for the top) with its
/// occurrence number (arrays of tables repeat their header), and the lines under it.
fn tables(text: &str) -> Vec<((&str, usize), Vec<&str>)> {
    let mut out: Vec<((&str, usize), Vec<&str>)> = vec![(("", 0), Vec::new())];
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('[') {
            let seen = out.iter().filter(|((h, _), _)| *h == line).count();
            out.push(((line, seen), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line);
        }
    }
    out
}

/// For each group of tables that differ alike: their headers on one line (`[fields.2]
/// [fields.32]`; none for the top of the file), then `-` for each line only in `old` and `+`
/// for each line only in `new`. A change to every variable field is one group, not a hundred.
pub(super) fn toml_diff(old: &str, new: &str) -> String {
    let (old_t, new_t) = (tables(old), tables(new));
    // (headers, removed, added) in order of first appearance.
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (key, new_lines) in &new_t {
        let old_lines = old_t
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| l.as_slice())
            .unwrap_or_default();
        let removed = old_lines
            .iter()
            .filter(|l| !new_lines.contains(l))
            .copied()
            .collect();
        let added = new_lines
            .iter()
            .filter(|l| !old_lines.contains(l))
            .copied()
            .collect();
        add(&mut groups, key.0, removed, added);
    }
    for (key, old_lines) in &old_t {
        if !new_t.iter().any(|(k, _)| k == key) {
            add(&mut groups, key.0, old_lines.clone(), Vec::new());
        }
    }
    let mut out = String::new();
    for (headers, removed, added) in groups {
        let headers: Vec<&str> = headers.into_iter().filter(|h| !h.is_empty()).collect();
        if !headers.is_empty() {
            out.push_str(&headers.join(" "));
            out.push('\n');
        }
        for (sign, lines) in [('-', removed), ('+', added)] {
            for l in lines {
                out.push(sign);
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

/// Tables that differ alike: their headers, the lines removed and the lines added.
type Group<'t> = (Vec<&'t str>, Vec<&'t str>, Vec<&'t str>);

fn add<'t>(
    groups: &mut Vec<Group<'t>>,
    header: &'t str,
    removed: Vec<&'t str>,
    added: Vec<&'t str>,
) {
    if removed.is_empty() && added.is_empty() {
        return;
    }
    match groups
        .iter_mut()
        .find(|(_, r, a)| *r == removed && *a == added)
    {
        Some((headers, _, _)) if !header.is_empty() => headers.push(header),
        _ => groups.push((vec![header], removed, added)),
    }
}
