#!/usr/bin/env bash
# Prints the attack-path figures of BENCHMARKS.md: the phases in-process (cargo bench --bench
# paths) and the CLI's own --timings and wall time on a 40,000-object synthetic cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bench-data
[ -f bench-data/c40k.yaml ] || python3 benches/gen_cluster.py --namespaces 100 --objects 40000 --seed 1 -o bench-data/c40k.yaml

echo "== in-process phases (cargo bench -p kubeward-benches --bench paths)"
cargo bench -q -p kubeward-benches --bench paths 2>/dev/null

cargo build -q --release -p kubeward
echo
echo "== kubeward paths bench-data/c40k.yaml --timings (3 runs, text report to /dev/null)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB peak RSS" \
    target/release/kubeward paths bench-data/c40k.yaml --timings -o /dev/null 2>&1 \
    | grep -E "timing|wall" || true
done
