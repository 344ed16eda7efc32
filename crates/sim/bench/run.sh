#!/usr/bin/env bash
# Simulated requests per wall-clock second: faultline's simulator against SimPy on
# the same M/M/c model, plus faultline on examples/active-passive.yaml.
# Usage: crates/sim/bench/run.sh [rounds]   (installs SimPy into target/bench-venv)
#
# The machine's speed drifts by tens of percent within seconds (shared cores), so the
# ratio is measured in rounds: faultline, SimPy, faultline again, back to back on core
# 0; a round's ratio is the mean of its two faultline runs over its SimPy run, and the
# figure is the median of the rounds' ratios.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds="${1:-7}"
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "simpy==4.1.1"
cargo build --release -q -p faultline-sim --example bench
bench=target/release/examples/bench
pin() {
  # Pinned to core 0 when taskset may (not in every container).
  taskset -c 0 "$@" 2>/dev/null || "$@"
}
result() { awk -v k="$1" '$1 == "RESULT" && $2 == k {print $3}'; }

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
out_ap=$(pin "$bench" 5 active-passive)
echo "$out_ap" | grep -v '^RESULT'

# One line per round: faultline before, faultline after (both with the record), the
# engine alone, SimPy (customers per wall second).
rounds_measured=""
for i in $(seq 1 "$rounds"); do
  before=$(pin "$bench" 1 mmc | result mmc)
  bare=$(pin "$bench" 1 mmc-unrecorded | result mmc-unrecorded)
  simpy=$(pin "$venv/bin/python" crates/sim/bench/simpy_mmc.py 1 "$((6 + i))" | result simpy)
  after=$(pin "$bench" 1 mmc | result mmc)
  echo "$before $after $bare $simpy" | awk -v i="$i" '{
    printf "round %d: faultline %.0f and %.0f customers/s (with its record), %.0f (engine alone); SimPy %.0f; ratio %.1fx (%.1fx engine alone)\n",
      i, $1, $2, $3, $4, ($1 + $2) / 2 / $4, $3 / $4 }'
  rounds_measured+="$before $after $bare $simpy"$'\n'
done

printf '%s' "$rounds_measured" | awk '
  { r[NR] = ($1 + $2) / 2 / $4; e[NR] = $3 / $4 }
  function median(v, n,    i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  END {
    n = NR
    mr = median(r, n); me = median(e, n)  # sorts r and e: [1] is the least, [n] the most
    printf "M/M/c faultline / SimPy, median of %d rounds: %.1fx with its record (rounds %.1fx to %.1fx)\n", n, mr, r[1], r[n]
    printf "M/M/c faultline / SimPy, median of %d rounds: %.1fx engine alone (rounds %.1fx to %.1fx)\n", n, me, e[1], e[n]
  }'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
