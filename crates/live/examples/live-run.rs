//! Runs a live experiment without the CLI: `cargo run -p faultline-live --example
//! live-run -- FILE OUT_DIR`. Prints progress once a second and the record's folder.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: live-run FILE OUT_DIR");
        std::process::exit(2);
    };
    let experiment = match faultline_spec::load(std::path::Path::new(file)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(problems) = faultline_live::check(&experiment) {
        eprintln!("{}", problems.join("\n"));
        std::process::exit(2);
    }
    let result = faultline_live::run(&experiment, std::path::Path::new(out), &mut |p| {
        eprintln!(
            "{:<9} {:>5.1} s  {:>7.0} ops/s  errors {:>5.1}%  {}",
            p.phase,
            p.elapsed_us as f64 / 1e6,
            p.rate_per_s,
            p.error_rate * 100.0,
            p.active_faults.join(", ")
        );
    });
    match result {
        Ok(meta) => println!("{:?}: record in {out}", meta.status),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
