//! "Did you mean": the closest allowed name to a misspelt one.

/// The allowed name closest to `given`, if one is close enough to be a likely typo.
///
/// Case and `-`/`_` differences count as typos of no weight; otherwise the edit distance
/// (with transpositions) must be at most a third of the name's length (at least 1).
pub(crate) fn closest<'a>(
    given: &str,
    allowed: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let normalized = normalize(given);
    let length = given.chars().count();
    // At most a third of the letters wrong, and never all of them (`c` is no typo of `a`).
    let limit = (length / 3).max(1).min(length.saturating_sub(1));
    allowed
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&normalized, &normalize(candidate));
            (distance, candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn normalize(name: &str) -> String {
    name.to_lowercase().replace('-', "_")
}

/// ` (did you mean `x`?)` when a close name exists, else nothing.
pub(crate) fn did_you_mean<'a>(given: &str, allowed: impl IntoIterator<Item = &'a str>) -> String {
    match closest(given, allowed) {
        Some(name) => format!(" (did you mean `{name}`?)"),
        None => String::new(),
    }
}

/// `a`, `b`, `c` for a message.
pub(crate) fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_field() {
        let fields = ["instances", "zones", "concurrency", "promote_in"];
        assert_eq!(closest("instancess", fields), Some("instances"));
        assert_eq!(closest("promote-in", fields), Some("promote_in"));
        assert_eq!(closest("Zones", fields), Some("zones"));
        assert_eq!(closest("concurency", fields), Some("concurrency"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(closest("c", ["a", "b"]), None);
        assert_eq!(closest("dbb", ["db", "api"]), Some("db"));
    }
}
