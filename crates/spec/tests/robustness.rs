//! No input makes validation panic, and every problem points inside the text.

use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses `text` and checks that each problem's place is inside it; returns the problems.
fn problems_of(text: &str, name: &str) -> Vec<String> {
    match faultline_spec::parse(text, Path::new(name)) {
        Ok(_) => Vec::new(),
        Err(errors) => {
            assert!(
                !errors.problems.is_empty(),
                "an error without problems for {text:?}"
            );
            for d in &errors.diagnostics {
                assert!(d.span.line >= 1 && d.span.column >= 1, "{d}");
                assert!(
                    d.span.line <= text.lines().count().max(1) + 1,
                    "{d} in {text:?}"
                );
                let range = d.byte_range();
                assert!(range.end <= text.len(), "{d}: {range:?} past the end");
                assert!(
                    text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
                    "{d}"
                );
            }
            // The snippet renderer must cope with any of them too.
            let _ = errors.render_snippets();
            errors.problems
        }
    }
}

/// A small deterministic generator (xorshift), so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn empty_and_blank_files_say_what_an_experiment_needs() {
    for text in [
        "",
        "\n\n",
        "   ",
        "# only a comment\n",
        "---\n",
        "~\n",
        "null",
    ] {
        let problems = problems_of(text, "empty.yaml");
        assert_eq!(
            problems,
            ["empty.yaml:1:1: the file is empty: an experiment needs at least `name`, `architecture` and `workload`"],
            "{text:?}"
        );
    }
}

#[test]
fn non_mappings_at_the_top_are_rejected() {
    for text in ["hello", "[1, 2]", "- a\n- b\n", "42", "\"quoted\""] {
        let problems = problems_of(text, "top.yaml");
        assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
        assert!(
            problems[0].contains("an experiment file is a mapping of sections"),
            "{problems:?}"
        );
    }
}

#[test]
fn garbage_never_panics() {
    let alphabet: Vec<char> = "{}[]:,-?&*!|>'\"%@`#\n\t \\ab01.~<=ñ€\u{feff}\u{0}"
        .chars()
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3_000 {
        let len = rng.below(80);
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        problems_of(&text, "garbage.yaml");
    }
}

#[test]
fn mutations_of_a_valid_file_never_panic() {
    let base = fixture("valid/base.yaml");
    let chars: Vec<char> = base.chars().collect();
    let replacements: Vec<char> = "{}[]:,- \n#&*'\"0x9s%".chars().collect();
    let mut rng = Rng(42);
    for _ in 0..1_500 {
        let mut mutated = chars.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(mutated.len());
            match rng.below(3) {
                0 => {
                    mutated.remove(at);
                }
                1 => mutated[at] = replacements[rng.below(replacements.len())],
                _ => mutated.insert(at, replacements[rng.below(replacements.len())]),
            }
        }
        let text: String = mutated.into_iter().collect();
        problems_of(&text, "mutated.yaml");
    }
}

#[test]
fn deep_nesting_is_refused_without_exhausting_the_stack() {
    let flow = format!("name: {}{}", "[".repeat(20_000), "]".repeat(20_000));
    let problems = problems_of(&flow, "deep.yaml");
    assert!(
        problems[0].contains("nested more than 64 levels"),
        "{problems:?}"
    );
    let mut block = String::from("name: x\n");
    for depth in 0..500 {
        block.push_str(&"  ".repeat(depth));
        block.push_str("a:\n");
    }
    let problems = problems_of(&block, "deep.yaml");
    assert!(
        problems[0].contains("nested more than 64 levels"),
        "{problems:?}"
    );
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let problems = problems_of(&text, "bomb.yaml");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("expands to more than"), "{problems:?}");
}

#[test]
fn anchors_aliases_and_merge_keys_work() {
    let text = fixture("valid/anchors.yaml");
    let experiment = faultline_spec::parse(&text, Path::new("anchors.yaml")).expect("valid");
    let names: Vec<&str> = experiment
        .raw()
        .architecture
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        ["api-a", "api-b", "lb", "lb-b", "db"],
        "order as written"
    );
    let faultline_spec::Component::Service(b) = &experiment.raw().architecture["api-b"] else {
        panic!("api-b is a service");
    };
    assert_eq!(
        (b.instances, b.zones.as_slice()),
        (2, ["b".to_string()].as_slice())
    );
}

#[test]
fn json_files_are_read_and_their_syntax_errors_located() {
    let text = fixture("valid/base.json");
    let experiment = faultline_spec::parse(&text, Path::new("base.json")).expect("valid JSON");
    assert_eq!(experiment.raw().name, "fixture-json");
    let broken = text.replacen("\"instances\": 2,", "\"instances\": 2", 1);
    let problems = problems_of(&broken, "base.json");
    assert_eq!(
        problems,
        ["base.json:7:7: JSON syntax error: expected `,` or `}`"]
    );
    let unknown = text.replacen("\"instances\"", "\"instance\"", 1);
    let problems = problems_of(&unknown, "base.json");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("base.json:6:7: architecture.api.instance: unknown field `instance` (did you mean `instances`?)"),
        "{problems:?}"
    );
}

#[test]
fn files_that_cannot_be_read_say_why() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/no-such-file.yaml");
    let errors = faultline_spec::load(&missing).unwrap_err();
    assert!(
        errors.problems[0].contains("cannot read the file"),
        "{errors}"
    );
    let dir = std::env::temp_dir().join(format!("faultline-spec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let binary = dir.join("binary.yaml");
    std::fs::write(&binary, [b'n', b'a', 0xff, 0xfe]).expect("write");
    let errors = faultline_spec::load(&binary).unwrap_err();
    assert!(errors.problems[0].contains("not UTF-8"), "{errors}");
    let _ = std::fs::remove_dir_all(&dir);
}
