#!/usr/bin/env bash
# Paired A/B timing of two or more builds of the bench example on one model.
# Usage: crates/sim/bench/ab.sh ROUNDS MODEL BASE_BIN BIN...   (MODEL: mmc, mmc-unrecorded,
#        active-passive; BIN: a built `examples/bench`, e.g. copied from target/release)
# Env: REPS (runs per bench call, default 1); QUIET=1 waits for an idle machine per round.
#
# Each round runs every binary once, back to back, pinned to core 0, and records its CPU
# time (perf's task-clock) and its customers/s. The machine's speed drifts within seconds,
# so the figure is the median over rounds of each round's ratio to the base binary: CPU
# base/bin and wall bin/base (above 1: faster than the base). Needs `perf`.
set -euo pipefail
n=$1; model=$2; reps=${REPS:-1}; shift 2; bins=("$@")
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
idle() { # waits up to 60 s until no other task runs; false if it never happens
  for _ in $(seq 120); do
    [ "$(awk '/procs_running/{print $2}' /proc/stat)" -le 1 ] && return 0
    sleep 0.5
  done
  return 1
}
busy_rounds=0
for r in $(seq "$n"); do
  if [ -n "${QUIET:-}" ] && ! idle; then busy_rounds=$((busy_rounds + 1)); fi
  for i in "${!bins[@]}"; do
    perf stat -x, -e task-clock -o "$tmp/stat" taskset -c 0 "${bins[$i]}" "$reps" "$model" > "$tmp/out"
    ms=$(awk -F, '/task-clock/{print $1}' "$tmp/stat")
    rate=$(awk '$1 == "RESULT" {print $3; exit}' "$tmp/out")
    echo "$r $ms $rate" >> "$tmp/b$i"
  done
done
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for i in "${!bins[@]}"; do
  cpu=$(paste "$tmp/b0" "$tmp/b$i" | awk '{printf "%.4f\n", $2 / $5}' | median)
  wall=$(paste "$tmp/b0" "$tmp/b$i" | awk '{printf "%.4f\n", $6 / $3}' | median)
  quartiles=$(paste "$tmp/b0" "$tmp/b$i" | awk '{print $2 / $5}' | sort -g |
    awk '{a[NR] = $1} END {printf "q1 %.3f q3 %.3f", a[int(NR / 4) + 1], a[int((3 * NR + 3) / 4)]}')
  echo "${bins[$i]}: CPU-time median $(awk '{print $2}' "$tmp/b$i" | median) ms," \
    "customers/s median $(awk '{print $3}' "$tmp/b$i" | median | xargs printf "%.0f");" \
    "against the base, median of $n rounds: CPU $cpu ($quartiles), wall $wall"
done
[ -n "${QUIET:-}" ] && echo "rounds started while the machine was busy: $busy_rounds of $n"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
