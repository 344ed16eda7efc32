//! Every shipped live example passes the live engine's checks.

#[test]
fn every_live_example_passes_the_live_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let path = entry.expect("readable entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.starts_with("live-") && name.ends_with(".yaml")) {
            continue;
        }
        let experiment = faultline_spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
        if let Err(problems) = faultline_live::check(&experiment) {
            panic!("{}: {}", path.display(), problems.join("\n"));
        }
        count += 1;
    }
    assert!(count > 0, "no live examples in {}", dir.display());
}
