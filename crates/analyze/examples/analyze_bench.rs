//! Times loading and analyzing run records: `cargo run --release -p
//! faultline-analyze --example analyze_bench -- RUN_DIR...` prints, per record, the
//! median of 5 loads and of 5 analyses, and the record's size.

use std::path::Path;
use std::time::Instant;

use faultline_record::RunRecord;

const ROUNDS: usize = 5;

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: bench RUN_DIR...");
        std::process::exit(2);
    }
    println!("record                          buckets   ledger   load ms  analyze ms");
    for dir in dirs {
        let path = Path::new(&dir);
        let mut load = Vec::new();
        let mut record = None;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let loaded = match RunRecord::load(path) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            load.push(started.elapsed().as_secs_f64() * 1e3);
            record = Some(loaded);
        }
        let record = record.expect("ROUNDS > 0");
        let experiment =
            match faultline_spec::parse(&record.experiment_text, &path.join("experiment.yaml")) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
        let mut analyze = Vec::new();
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let analysis = faultline_analyze::analyze(&record, &experiment);
            analyze.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(analysis);
        }
        let name = path
            .file_name()
            .map_or(dir.clone(), |n| n.to_string_lossy().to_string());
        println!(
            "{name:<30} {:>9} {:>8} {:>9.1} {:>11.1}",
            record.buckets.len(),
            record.ledger.len(),
            median_ms(load),
            median_ms(analyze)
        );
    }
}
