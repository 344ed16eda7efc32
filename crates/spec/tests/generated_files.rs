//! Files generated from the model stay true: the committed JSON Schema, the field
//! reference in `docs/experiment.md`, and every experiment shown in that page.
//!
//! `UPDATE_SCHEMA=1 cargo test -p faultline-spec` rewrites the generated files.

use std::path::{Path, PathBuf};

const REGENERATE: &str = "UPDATE_SCHEMA=1 cargo test -p faultline-spec --test generated_files";
const BEGIN: &str = "<!-- BEGIN GENERATED REFERENCE -->\n";
const END: &str = "<!-- END GENERATED REFERENCE -->";

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| v != "0")
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let path = repo_file("schema/experiment.schema.json");
    let generated = faultline_spec::json_schema();
    if updating() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create schema/");
        std::fs::write(&path, &generated).expect("write the schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/experiment.schema.json is out of date with the model; regenerate it with `{REGENERATE}` \
         (or `faultline schema > schema/experiment.schema.json`) and commit it"
    );
}

#[test]
fn the_field_reference_in_the_docs_is_up_to_date() {
    let path = repo_file("docs/experiment.md");
    let page = std::fs::read_to_string(&path).expect("docs/experiment.md exists");
    let (Some(begin), Some(end)) = (page.find(BEGIN), page.find(END)) else {
        panic!("docs/experiment.md lacks the markers {BEGIN:?} and {END:?}");
    };
    let embedded = &page[begin + BEGIN.len()..end];
    let generated = faultline_spec::reference_markdown();
    if updating() {
        let updated = format!("{}{BEGIN}{generated}{}", &page[..begin], &page[end..]);
        std::fs::write(&path, updated).expect("write docs/experiment.md");
        return;
    }
    assert!(
        embedded == generated,
        "the field reference in docs/experiment.md is out of date with the model; regenerate it \
         with `{REGENERATE}` and commit it"
    );
}

/// The YAML blocks of the page: complete experiments (starting with `name:`) must
/// validate; fragments must be well-formed sections (their only problems are the
/// top-level sections they leave out).
#[test]
fn every_yaml_example_in_the_docs_is_valid() {
    let page =
        std::fs::read_to_string(repo_file("docs/experiment.md")).expect("docs/experiment.md");
    let mut blocks = 0;
    let mut rest = page.as_str();
    while let Some(start) = rest.find("```yaml\n") {
        let body_start = start + "```yaml\n".len();
        let Some(length) = rest[body_start..].find("```") else {
            panic!("an unclosed ```yaml block");
        };
        let block = &rest[body_start..body_start + length];
        let line = page[..page.len() - rest.len() + start].lines().count() + 2;
        let name = format!("docs/experiment.md (block at line {line})");
        let result = faultline_spec::parse(block, Path::new(&name));
        if block.starts_with("name:") {
            if let Err(errors) = result {
                panic!("{name} does not validate:\n{errors}");
            }
        } else if let Err(errors) = result {
            for d in &errors.diagnostics {
                let top = d.path.to_string();
                assert!(
                    d.message.starts_with("required field is missing")
                        && ["name", "architecture", "workload"].contains(&top.as_str()),
                    "{name}: {d}"
                );
            }
        }
        blocks += 1;
        rest = &rest[body_start + length + 3..];
    }
    assert!(
        blocks >= 3,
        "expected the page's examples, found {blocks} yaml blocks"
    );
}
