#!/usr/bin/env bash
# Simulated requests per wall-clock second: faultline's simulator against SimPy on
# the same M/M/c model, plus faultline on examples/active-passive.yaml.
# Usage: crates/sim/bench/run.sh [repetitions]   (installs SimPy into target/bench-venv)
set -euo pipefail
cd "$(dirname "$0")/../../.."
reps="${1:-5}"
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "simpy==4.1.1"
cargo build --release -q -p faultline-sim --example bench
out_ours=$(taskset -c 0 target/release/examples/bench "$reps" 2>&1 || target/release/examples/bench "$reps")
echo "$out_ours" | grep -v '^RESULT'
out_simpy=$(taskset -c 0 "$venv/bin/python" crates/sim/bench/simpy_mmc.py "$reps" 2>&1 || "$venv/bin/python" crates/sim/bench/simpy_mmc.py "$reps")
echo "$out_simpy" | grep -v '^RESULT'
ours=$(echo "$out_ours" | awk '/^RESULT mmc /{print $3}')
theirs=$(echo "$out_simpy" | awk '/^RESULT simpy /{print $3}')
bare=$(echo "$out_ours" | awk '/^RESULT mmc-unrecorded /{print $3}')
awk -v a="$ours" -v c="$bare" -v b="$theirs" 'BEGIN {
  printf "M/M/c customers per wall second: faultline %.0f (with its record), SimPy %.0f, ratio %.0fx\n", a, b, a / b
  printf "M/M/c customers per wall second: faultline %.0f (engine alone), SimPy %.0f, ratio %.0fx\n", c, b, c / b
}'
