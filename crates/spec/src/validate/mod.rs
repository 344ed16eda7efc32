//! The meaning check: everything the shape check cannot see.
//!
//! Runs on the typed model once its shape is right, and reports every problem with the
//! place in the file where the offending value (or its missing field's parent) is
//! written: names that refer to nothing (fault targets, calls, pools, DNS records,
//! signals, actions), stages and faults that do not fit together, distributions and
//! bounds that contradict themselves, thresholds with the wrong unit for their metric.

mod architecture;
mod expect;
mod faults;
mod names;
mod workload;

pub(crate) use expect::normalize_thresholds;

use indexmap::IndexMap;

use crate::diag::{FieldPath, Problem};
use crate::model::{Component, Distribution, RawExperiment};
use crate::suggest::{did_you_mean, list};
use crate::tree::Node;
use crate::units::{Duration, Fraction};

/// Every problem of meaning in `raw`; `root` locates them in the file.
pub(crate) fn check(raw: &RawExperiment, root: &Node) -> Vec<Problem> {
    let mut checker = Checker {
        raw,
        root,
        problems: Vec::new(),
    };
    architecture::check(&mut checker);
    workload::check(&mut checker);
    faults::check(&mut checker);
    names::check(&mut checker);
    expect::check(&mut checker);
    checker.problems
}

/// The experiment under check and the problems found so far.
pub(crate) struct Checker<'a> {
    raw: &'a RawExperiment,
    root: &'a Node,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn components(&self) -> &'a IndexMap<String, Component> {
        &self.raw.architecture
    }

    /// Reports a problem about the value at `path` (or, if the field is absent, about the
    /// mapping that should hold it).
    fn report(&mut self, path: FieldPath, message: String) {
        let (node, exact) = self.root.locate_exact(&path);
        let span = if exact { node.span } else { node.owner_span() };
        self.problems.push(Problem::new(span, path, message));
    }

    /// Reports a problem about `path` at the place where `cause` is written (a field
    /// that makes another one required, for instance).
    fn report_at(&mut self, path: FieldPath, cause: &FieldPath, message: String) {
        let (node, exact) = self.root.locate_exact(cause);
        let span = if exact { node.span } else { node.owner_span() };
        self.problems.push(Problem::new(span, path, message));
    }

    /// Reports a problem pointing at the key of the entry at `path` (a name).
    fn report_key(&mut self, path: FieldPath, message: String) {
        let span = self.root.locate(&path).owner_span();
        self.problems.push(Problem::new(span, path, message));
    }

    /// Checks that `name` is a component, optionally of one of `kinds`; reports at `path`.
    fn component_ref(
        &mut self,
        path: FieldPath,
        name: &str,
        kinds: &[&str],
    ) -> Option<&'a Component> {
        let components = self.components();
        match components.get(name) {
            None => {
                let message = unknown_component(name, components);
                self.report(path, message);
                None
            }
            Some(component) if !kinds.is_empty() && !kinds.contains(&component.kind_name()) => {
                let wanted: Vec<&str> = components
                    .iter()
                    .filter(|(_, c)| kinds.contains(&c.kind_name()))
                    .map(|(n, _)| n.as_str())
                    .collect();
                let choices = if wanted.is_empty() {
                    format!("there is no {} component", kinds.join(" or "))
                } else {
                    format!("the {} components are {}", kinds.join(" or "), list(wanted))
                };
                let message = format!(
                    "`{name}` is a {}, but this must name a {}; {choices}",
                    component.kind_name(),
                    kinds.join(" or ")
                );
                self.report(path, message);
                None
            }
            Some(component) => Some(component),
        }
    }

    /// Checks a distribution's parameters against each other.
    fn distribution(&mut self, path: FieldPath, distribution: &Distribution) {
        match distribution {
            Distribution::Fixed(_) => {}
            Distribution::Exponential { mean } => {
                if mean.micros == 0 {
                    let message = "the mean must be more than 0 (e.g. `200ms`)".to_string();
                    self.report(path.key("exponential").key("mean"), message);
                }
            }
            Distribution::Lognormal { median, p99 } => {
                if median.micros == 0 {
                    let message = "the median of a lognormal must be more than 0 (e.g. `20ms`)";
                    self.report(path.key("lognormal").key("median"), message.into());
                } else if p99 < median {
                    let message = format!(
                        "p99 ({p99}) must be at least the median ({median}): a 99th \
                         percentile is never below the 50th"
                    );
                    self.report(path.key("lognormal").key("p99"), message);
                }
            }
            Distribution::Uniform { min, max } => {
                if max < min {
                    let message = format!("max ({max}) must be at least min ({min})");
                    self.report(path.key("uniform").key("max"), message);
                }
            }
        }
    }

    /// Reports a duration that must be more than zero.
    fn positive(&mut self, path: FieldPath, duration: Duration, example: &str) {
        if duration.micros == 0 {
            let message = format!("must be more than 0 (e.g. `{example}`)");
            self.report(path, message);
        }
    }

    /// Reports a period of 0 (as [`Checker::positive`] does, with `example`) or shorter
    /// than `floor`: below its floor the simulator would either take hours over a run
    /// of minutes (a slip of a unit, `1us` for `1s`) or silently run at the floor
    /// instead, so that the file would not say what the model does.
    fn period_at_least(&mut self, path: FieldPath, period: Duration, floor: Floor, example: &str) {
        if period.micros == 0 {
            self.positive(path, period, example);
        } else if period < floor.least {
            let message = format!(
                "must be at least {} ({}); {period} is too short",
                floor.least, floor.why
            );
            self.report(path, message);
        }
    }

    /// Reports a share below `least`, which the simulator would raise to `least`
    /// without a word; `why` says why there is a least.
    fn share_at_least(&mut self, path: FieldPath, share: Fraction, least: Fraction, why: &str) {
        if share.value < least.value {
            let message = format!("must be at least {least} ({why}); {share} is too low");
            self.report(path, message);
        }
    }

    /// Reports a count that must be at least 1.
    fn at_least_one(&mut self, path: FieldPath, count: u64) {
        if count == 0 {
            self.report(path, "must be at least 1".into());
        }
    }

    /// Reports a count of things the engines hold one by one (instances, connections,
    /// virtual users) that is 0 or above `limit`: a slip such as a few extra zeros
    /// would otherwise take the machine's memory before the run could say anything.
    fn count_within(&mut self, path: FieldPath, count: u64, limit: Limit) {
        if count == 0 {
            self.at_least_one(path, count);
        } else {
            self.count_at_most(path, count, limit);
        }
    }

    /// Reports a count above `limit` (zero allowed).
    fn count_at_most(&mut self, path: FieldPath, count: u64, limit: Limit) {
        if count > limit.most {
            let message = format!(
                "{count} is more {} than faultline models: at most {} ({})",
                limit.what, limit.most, limit.why
            );
            self.report(path, message);
        }
    }
}

/// The most of a thing an experiment may ask for ([`Checker::count_within`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    /// The largest count accepted.
    pub most: u64,
    /// What is counted, plural.
    pub what: &'static str,
    /// Why there is a most, for the message.
    pub why: &'static str,
}

/// The shortest a period may be ([`Checker::period_at_least`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Floor {
    /// The shortest period accepted.
    pub least: Duration,
    /// Why there is a least, for the message.
    pub why: &'static str,
}

/// Why the counts of things held one by one have a most.
const HELD_IN_MEMORY: &str = "each is held in memory, one by one";

/// Instances of one service (autoscaling maximum and spares included), or nodes of a
/// database.
pub(crate) const INSTANCES: Limit = Limit {
    most: 10_000,
    what: "instances",
    why: HELD_IN_MEMORY,
};

/// Retries of one failed call after its first attempt.
pub(crate) const RETRIES: Limit = Limit {
    most: 100,
    what: "retries",
    why: "each is one more attempt of every failed call, all in one instant with a zero backoff",
};

/// Connections in one instance's pool to one dependency.
pub(crate) const POOL_CONNECTIONS: Limit = Limit {
    most: 10_000,
    what: "connections",
    why: HELD_IN_MEMORY,
};

/// Virtual users of a closed workload at once.
pub(crate) const VIRTUAL_USERS: Limit = Limit {
    most: 1_000_000,
    what: "virtual users",
    why: HELD_IN_MEMORY,
};

/// "no component named `x` (did you mean `y`?); the components are ...".
fn unknown_component(name: &str, components: &IndexMap<String, Component>) -> String {
    let names = components.keys().map(String::as_str);
    let hint = did_you_mean(name, components.keys().map(String::as_str));
    if components.is_empty() {
        format!("no component named `{name}`: `architecture` is empty")
    } else {
        format!(
            "no component named `{name}`{hint}; the components are {}",
            list(names)
        )
    }
}

/// The total length of the workload's stages.
pub(crate) fn stages_total(raw: &RawExperiment) -> Duration {
    let micros = raw
        .workload
        .stages
        .iter()
        .map(|s| s.hold.or(s.ramp).or(s.spike).map(|d| d.micros).unwrap_or(0))
        .fold(0u64, u64::saturating_add);
    Duration::from_micros(micros)
}
