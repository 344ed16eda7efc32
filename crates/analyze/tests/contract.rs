//! summary.json keeps every field PRODUCT.md promises, with its JSON type: other tools
//! read it, so a rename or a type change must fail here first.

mod common;

use serde_json::Value;

/// `(JSON pointer, accepted types)` of every field in PRODUCT.md's example.
const CONTRACT: &[(&str, &[&str])] = &[
    ("/experiment", &["string"]),
    ("/engine", &["string"]),
    ("/seed", &["number"]),
    ("/passed", &["bool"]),
    ("/thresholds/0/name", &["string"]),
    ("/thresholds/0/expected", &["string"]),
    ("/thresholds/0/actual", &["number", "null"]),
    ("/thresholds/0/unit", &["string"]),
    ("/thresholds/0/passed", &["bool"]),
    ("/metrics/t_fault_s", &["number", "null"]),
    ("/metrics/ttd_s", &["number", "null"]),
    ("/metrics/ttd_source", &["string", "null"]),
    ("/metrics/tta_s", &["number", "null"]),
    ("/metrics/recovered", &["bool", "null"]),
    ("/metrics/rto_s", &["number", "null"]),
    ("/metrics/rpo_s", &["number", "null"]),
    ("/metrics/lost_writes", &["number", "null"]),
    ("/metrics/split_brain_writes", &["number", "null"]),
    ("/metrics/error_rate", &["number", "null"]),
    ("/metrics/throughput_degradation_mean", &["number", "null"]),
    ("/metrics/throughput_degradation_worst", &["number", "null"]),
    ("/metrics/latency_ms/baseline/p50", &["number", "null"]),
    ("/metrics/latency_ms/baseline/p99", &["number", "null"]),
    ("/metrics/latency_ms/transition/p50", &["number", "null"]),
    ("/metrics/latency_ms/transition/p99", &["number", "null"]),
];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[test]
fn every_product_md_field_is_present_with_its_type_in_every_fixture() {
    for (name, builder) in common::fixtures() {
        let summary = builder.analyze().summary;
        if summary.thresholds.is_empty() {
            continue; // the threshold fields are checked on the fixtures that have some
        }
        let json = serde_json::to_value(&summary).expect("serializes");
        for (pointer, types) in CONTRACT {
            let value = json
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{name}: {pointer} is missing"));
            assert!(
                types.contains(&type_name(value)),
                "{name}: {pointer} is {value}, expected one of {types:?}"
            );
        }
    }
}

#[test]
fn the_summary_reads_back_into_the_same_summary() {
    for (name, builder) in common::fixtures() {
        let summary = builder.analyze().summary;
        let back: faultline_analyze::Summary =
            serde_json::from_str(&summary.to_json()).expect("reads back");
        assert_eq!(back, summary, "{name}");
    }
}

/// Every key name of `value`, recursively.
fn keys(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_summary_field_is_documented_in_docs_summary_md() {
    // Guards docs/summary.md against drift: a new field must get a line there.
    let doc_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/summary.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/summary.md exists");
    let mut names = std::collections::BTreeSet::new();
    for (_, builder) in common::fixtures() {
        keys(
            &serde_json::to_value(builder.analyze().summary).expect("json"),
            &mut names,
        );
    }
    let undocumented: Vec<&String> = names
        .iter()
        .filter(|name| {
            !["`", ".", "{", ","].iter().any(|before| {
                ["`", ".", "}", ","]
                    .iter()
                    .any(|after| doc.contains(&format!("{before}{name}{after}")))
            })
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/summary.md: {undocumented:?}"
    );
}
