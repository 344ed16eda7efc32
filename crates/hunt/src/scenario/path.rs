//! Field paths such as `faults[0].at` or `workload.keys.hotspot.share`, resolved in
//! the experiment serialized as a JSON value.

use serde_json::Value;

/// One step of a path: a field name or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `name` in `a.name`.
    Key(String),
    /// `3` in `a[3]`.
    Index(usize),
}

/// Parses `a.b[2].c` into its steps; the message says what is wrong.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && (steps.is_empty() || rest.is_empty()) {
            return Err(format!(
                "`{path}` has an empty field name; write a path such as `faults[0].at`"
            ));
        }
        if !name.is_empty() {
            steps.push(Step::Key(name.to_string()));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("`{path}` has an unclosed `[`"))?;
            let index = rest[1..close].parse::<usize>().map_err(|_| {
                format!(
                    "`{path}`: `{}` is not a list index (write a number such as `[0]`)",
                    &rest[1..close]
                )
            })?;
            steps.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{path}`: expected `.` or `[` after `]`"));
            }
        }
    }
    Ok(steps)
}

/// The value at `steps`, or a message naming the first step that does not exist.
pub fn get<'a>(root: &'a Value, steps: &[Step]) -> Result<&'a Value, String> {
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let next = match step {
            Step::Key(k) => cur.get(k.as_str()),
            Step::Index(n) => cur.get(*n),
        };
        cur = next.ok_or_else(|| {
            let there = match cur {
                Value::Object(m) => format!(
                    "fields set there: {}",
                    m.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                Value::Array(a) => format!("the list has {} item(s)", a.len()),
                _ => "it is not a section or a list".to_string(),
            };
            format!(
                "`{}` is not set in the experiment ({there})",
                show(&steps[..=i])
            )
        })?;
    }
    Ok(cur)
}

/// Replaces the value at `steps` (which must exist).
pub fn set(root: &mut Value, steps: &[Step], value: Value) -> Result<(), String> {
    let mut cur = root;
    for (i, step) in steps.iter().enumerate() {
        let next = match step {
            Step::Key(k) => cur.get_mut(k.as_str()),
            Step::Index(n) => cur.get_mut(*n),
        };
        cur =
            next.ok_or_else(|| format!("`{}` is not set in the experiment", show(&steps[..=i])))?;
    }
    *cur = value;
    Ok(())
}

/// The path written back as text.
pub fn show(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(n) => s.push_str(&format!("[{n}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_indices() {
        let steps = parse_path("workload.stages[1].to").unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Key("workload".into()),
                Step::Key("stages".into()),
                Step::Index(1),
                Step::Key("to".into())
            ]
        );
        assert_eq!(show(&steps), "workload.stages[1].to");
        assert!(parse_path("faults[x].at").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn get_names_the_missing_step() {
        let v = serde_json::json!({"faults": [{"at": "8s"}]});
        let steps = parse_path("faults[2].at").unwrap();
        let err = get(&v, &steps).unwrap_err();
        assert!(err.contains("faults[2]") && err.contains("1 item"), "{err}");
        let mut v2 = v.clone();
        set(&mut v2, &parse_path("faults[0].at").unwrap(), "9s".into()).unwrap();
        assert_eq!(v2["faults"][0]["at"], "9s");
    }
}
