//! A user's own heuristic plugs in through the domain trait, its decision
//! points are seen by the guided search, and its case re-runs.

use faultline_hunt::domains::binpack::{BinPackConfig, BinPackProblem, BinPacker, GapKind};
use faultline_hunt::hunt::{rerun_case_on, Case, ProblemSpec, CASE_FORMAT};
use faultline_hunt::{decision, search, Method, Objective, SearchConfig, Trace};

/// Next fit: keep one bin open; open a new one when the item does not fit.
struct NextFit;

impl BinPacker for NextFit {
    fn name(&self) -> &str {
        "next_fit"
    }

    fn pack(&self, items: &[Vec<f64>], cap: f64, trace: &mut Trace) -> Vec<usize> {
        let (mut bin, mut load, mut out) = (0, 0.0, Vec::new());
        for (i, it) in items.iter().enumerate() {
            if !decision!(trace, "nf.fits", input = i, load + it[0] <= cap) {
                bin += 1;
                load = 0.0;
            }
            load += it[0];
            out.push(bin);
        }
        out
    }
}

#[test]
fn user_heuristic_is_hunted_with_its_decisions_and_reruns() {
    let cfg = BinPackConfig {
        gap: GapKind::Ratio,
        ..BinPackConfig::integer_1_9(1, 8)
    };
    let p = BinPackProblem::new(cfg.clone(), Box::new(NextFit)).expect("problem");
    // The decisions are visible in the trace.
    let mut t = Trace::new();
    p.evaluate(&[6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0], &mut t)
        .expect("evaluate");
    assert!(t.decisions().iter().all(|d| d.site == "nf.fits"));
    assert_eq!(t.decisions().len(), 8);

    // Next fit uses at most 2 OPT - 1 bins, and that is tight: with 8 items
    // the worst is 7 bins against an optimum of 4. The hunt must reach it.
    let o = search(&p, &SearchConfig::new(Method::Guided, 3000, 4), &mut |_| {}).expect("search");
    assert!(
        o.best_value >= 1.75,
        "ratio {} at {:?}",
        o.best_value,
        o.best_x
    );
    assert!(
        o.best_value <= 2.0,
        "above next fit's proven bound: {:?}",
        o.best_x
    );

    // A case of a user heuristic re-runs against the user's objective.
    let case = Case {
        format: CASE_FORMAT.into(),
        problem: ProblemSpec::Binpack {
            heuristic: "next_fit".into(),
            settings: cfg,
        },
        input: o.best_x.clone(),
        gap: o.best_value,
        heuristic_value: 0.0,
        benchmark_value: 0.0,
        method: Method::Guided,
        seed: 4,
        evaluations: o.evaluations,
    };
    let r = rerun_case_on(&case, &p).expect("rerun");
    assert!(r.reproduced, "{r:?}");
}
