//! What the simulator cannot do with a valid experiment file: faults that would pass
//! silently because the model gives their target nothing to act on. Checked before a
//! run (`faultline validate` and `faultline run` print the problems located in the
//! file; [`crate::Simulation::new`] refuses them too).

use faultline_spec::{Component, Experiment};

/// Every problem, one per line, each starting with its field's path
/// (`faults[2].pause: ...`) and saying what the simulator offers instead.
pub fn check(experiment: &Experiment) -> Result<(), Vec<String>> {
    let raw = experiment.raw();
    let mut problems = Vec::new();
    for (i, fault) in raw.faults.iter().enumerate() {
        let Some(target) = &fault.pause else { continue };
        if let Some(Component::LoadBalancer(_)) = raw.architecture.get(target.as_str()) {
            problems.push(format!(
                "faults[{i}].pause: `{target}` is a load balancer, which the simulator gives \
                 no process to pause. A hung balancer is a `partition` between `{target}` and \
                 its callers (they time out); a dead one is `kill: {target}` (refused)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(faults: &str) -> Vec<String> {
        let text = format!(
            "name: t\narchitecture:\n  front: {{ kind: dns, resolves_to: lb, ttl: 30s }}\n  \
             lb: {{ kind: load_balancer, targets: api }}\n  \
             api: {{ kind: service, instances: 2, concurrency: 4, service_time: {{ fixed: 1ms }} }}\n\
             workload:\n  target: front\n  stages: [ {{ hold: 1m, users: 10 }} ]\n  \
             mix: {{ read: 100%, write: 0% }}\nfaults:\n{faults}"
        );
        let experiment = faultline_spec::parse(&text, "t.yaml".as_ref()).expect("valid file");
        check(&experiment).err().unwrap_or_default()
    }

    #[test]
    fn a_paused_balancer_is_refused_with_what_to_write_instead() {
        let found = problems("  - { at: 10s, kill: lb }\n  - { at: 30s, pause: lb }\n");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("faults[1].pause: `lb` is a load balancer"));
        assert!(found[0].contains("`partition`"));
    }

    #[test]
    fn faults_the_model_acts_on_pass() {
        let found = problems(
            "  - { at: 10s, kill: front }\n  - { at: 20s, pause: api }\n  \
             - { at: 30s, kill: api.1 }\n  - { at: 40s, pause: front }\n",
        );
        assert!(found.is_empty(), "{found:#?}");
    }
}
