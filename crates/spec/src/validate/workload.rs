//! Checks of the workload: stages against the load model, the operation mix, keys,
//! sessions and the entry point.

use crate::diag::FieldPath;
use crate::model::{Component, LoadLevel, LoadModel, Stage, ThinkTime};
use crate::suggest::list;
use crate::units::Duration;

use super::{Checker, VIRTUAL_USERS};

/// The longest run the stages may ask for: a simulated run's record grows with its
/// length, and a typo such as `hold: 100000000h` would otherwise run for ever.
pub(crate) const RUN_LENGTH_MOST: Duration = Duration::from_micros(30 * 24 * 3600 * 1_000_000);

pub(super) fn check(c: &mut Checker<'_>) {
    let workload = &c.raw.workload;
    let base = FieldPath::root().key("workload");
    let stages_path = base.key("stages");
    if workload.stages.is_empty() {
        let example = match workload.model {
            LoadModel::Closed => "`stages: [ { hold: 5m, users: 50 } ]`",
            LoadModel::Open => "`stages: [ { hold: 5m, rate: 200/s } ]`",
        };
        c.report(
            stages_path.clone(),
            format!("give at least one stage, e.g. {example}"),
        );
    }
    for (i, stage) in workload.stages.iter().enumerate() {
        check_stage(c, &stages_path.index(i), i, stage, workload.model);
    }
    let total = super::stages_total(c.raw);
    if total > RUN_LENGTH_MOST {
        let message = format!(
            "the stages last {total} in all, more than faultline runs: at most \
             {RUN_LENGTH_MOST} (30 days)"
        );
        c.report(stages_path, message);
    }
    let total = workload.mix.read.value + workload.mix.write.value;
    if (total - 1.0).abs() > 1e-9 {
        let message = format!(
            "read ({}) and write ({}) add up to {}; they must add up to 100%",
            workload.mix.read,
            workload.mix.write,
            crate::units::Fraction { value: total }
        );
        c.report(base.key("mix"), message);
    }
    if workload.model == LoadModel::Open && workload.think_time.is_some() {
        c.report(
            base.key("think_time"),
            "applies only to `model: closed` (virtual users pause between operations); \
             an open workload's pace is its rate"
                .into(),
        );
    } else if let Some(ThinkTime::Distribution(d)) = &workload.think_time {
        c.distribution(base.key("think_time"), d);
    }
    if let Some(timeout) = workload.timeout {
        c.positive(base.key("timeout"), timeout, "10s");
    }
    let keys = &workload.keys;
    let keys_path = base.key("keys");
    c.at_least_one(keys_path.key("count"), keys.count);
    if let Some(zipf) = keys.zipf {
        if !(zipf.is_finite() && zipf > 0.0) {
            c.report(
                keys_path.key("zipf"),
                "the Zipf exponent must be more than 0 (e.g. `1.1`)".into(),
            );
        }
        if keys.hotspot.is_some() {
            c.report(
                keys_path.key("hotspot"),
                "give either `zipf` or `hotspot`, not both: each is a way of drawing keys".into(),
            );
        }
    }
    if let Some(hotspot) = &keys.hotspot {
        let hot_path = keys_path.key("hotspot").key("keys");
        if hotspot.keys == 0 || hotspot.keys >= keys.count {
            let message = format!(
                "the hot keys must be at least 1 and fewer than all {} keys",
                keys.count
            );
            c.report(hot_path, message);
        }
    }
    if let Some(sessions) = &workload.sessions {
        let sessions_path = base.key("sessions");
        c.at_least_one(sessions_path.key("operations"), sessions.operations.into());
        c.at_least_one(sessions_path.key("keys"), sessions.keys.into());
    }
    check_target(c, &base);
}

fn check_stage(
    c: &mut Checker<'_>,
    path: &FieldPath,
    index: usize,
    stage: &Stage,
    model: LoadModel,
) {
    let kinds: Vec<&str> = [
        ("hold", stage.hold.is_some()),
        ("ramp", stage.ramp.is_some()),
        ("spike", stage.spike.is_some()),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| name)
    .collect();
    let kind = match kinds.as_slice() {
        [kind] => *kind,
        [] => {
            c.report(
                path.clone(),
                "a stage needs exactly one of `hold`, `ramp` or `spike` (with its duration)".into(),
            );
            return;
        }
        _ => {
            let message = format!(
                "a stage has exactly one of `hold`, `ramp` or `spike`; this one has {}: split it \
                 into one stage each",
                list(kinds.iter().copied())
            );
            c.report(path.clone(), message);
            return;
        }
    };
    if let Some(length) = stage.hold.or(stage.ramp).or(stage.spike) {
        c.positive(path.key(kind), length, "60s");
    }
    if model == LoadModel::Closed {
        // A stage may hold, or go down to, no users at all: only the most is bounded.
        let levels = [
            ("users", stage.users),
            (
                "to",
                match stage.to {
                    Some(LoadLevel::Users(users)) => Some(users),
                    _ => None,
                },
            ),
        ];
        for (field, users) in levels {
            if let Some(users) = users.filter(|&u| u > 0) {
                c.count_within(path.key(field), users.into(), VIRTUAL_USERS);
            }
        }
    }
    let (level_field, wrong_field, unit) = match model {
        LoadModel::Closed => ("users", "rate", "a number of virtual users"),
        LoadModel::Open => ("rate", "users", "a rate such as `200/s`"),
    };
    let model_name = match model {
        LoadModel::Closed => "closed",
        LoadModel::Open => "open",
    };
    let wrong_given = match model {
        LoadModel::Closed => stage.rate.is_some(),
        LoadModel::Open => stage.users.is_some(),
    };
    if wrong_given {
        let message = format!(
            "`{wrong_field}` does not apply to `model: {model_name}`; the level is \
             `{level_field}` ({unit})"
        );
        c.report(path.key(wrong_field), message);
    }
    let level_given = stage.users.is_some() || stage.rate.is_some();
    match kind {
        "hold" => {
            if stage.to.is_some() {
                c.report(
                    path.key("to"),
                    format!(
                        "`to` belongs to a `ramp` or `spike`; a `hold` sets its level with \
                         `{level_field}`"
                    ),
                );
            }
            if index == 0 && !level_given {
                c.report(
                    path.key(level_field),
                    format!(
                        "the first stage must set a level: give `{level_field}` ({unit}), or \
                         start with a `ramp`"
                    ),
                );
            }
        }
        _ => {
            if level_given && !wrong_given {
                c.report(
                    path.key(level_field),
                    format!("a `{kind}` goes to its level `to`; `{level_field}` is for a `hold`"),
                );
            }
            match (stage.to, model) {
                (None, _) => c.report(
                    path.key("to"),
                    format!("a `{kind}` needs `to`: the level it goes to, {unit}"),
                ),
                (Some(LoadLevel::Rate(_)), LoadModel::Closed) => c.report(
                    path.key("to"),
                    "`model: closed` counts virtual users: `to` is a whole number (e.g. `500`)"
                        .into(),
                ),
                (Some(LoadLevel::Users(_)), LoadModel::Open) => c.report(
                    path.key("to"),
                    "`model: open` has an arrival rate: `to` is a rate (e.g. `2000/s`)".into(),
                ),
                _ => {}
            }
            if kind == "spike" && index == 0 {
                c.report(
                    path.key("spike"),
                    format!(
                        "the first stage must set a level (a spike returns to the level before \
                         it): start with a `hold` with `{level_field}` or a `ramp`"
                    ),
                );
            }
        }
    }
}

/// The components nothing else sends requests to.
fn entry_points<'a>(c: &Checker<'a>) -> Vec<&'a str> {
    let components = c.components();
    let mut referenced: Vec<&str> = Vec::new();
    for component in components.values() {
        match component {
            Component::Dns(dns) => referenced.push(&dns.resolves_to),
            Component::LoadBalancer(lb) => referenced.push(&lb.targets),
            Component::Service(service) => {
                referenced.extend(service.calls.iter().map(|x| x.to.as_str()))
            }
            Component::Database(db) => {
                if let Some(dns) = db.failover.as_ref().and_then(|f| f.dns.as_deref()) {
                    referenced.push(dns);
                }
            }
            Component::Cache(cache) => referenced.push(&cache.backend),
        }
    }
    components
        .keys()
        .map(String::as_str)
        .filter(|name| !referenced.contains(name))
        .collect()
}

fn check_target(c: &mut Checker<'_>, base: &FieldPath) {
    match &c.raw.workload.target {
        Some(target) => {
            c.component_ref(base.key("target"), target, &[]);
        }
        None => {
            if c.components().is_empty() {
                return;
            }
            let entries = entry_points(c);
            if entries.len() != 1 {
                let found = if entries.is_empty() {
                    "every component is called by another one".to_string()
                } else {
                    format!("nothing calls {}", list(entries.iter().copied()))
                };
                let message = format!(
                    "required here: clients send their operations to the only component \
                     nothing calls, but {found}; name the entry point with `target:`"
                );
                c.report(base.key("target"), message);
            }
        }
    }
}
