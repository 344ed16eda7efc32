//! Every shipped example must load.

#[test]
fn every_shipped_example_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let path = entry.expect("readable entry").path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            if let Err(e) = faultline_spec::load(&path) {
                panic!("{}: {e}", path.display());
            }
            count += 1;
        }
    }
    assert!(count > 0, "no examples found in {}", dir.display());
}
