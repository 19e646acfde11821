#!/usr/bin/env bash
# Prints the figures of BENCHMARKS.md: the real corpus and synthetic 10k / 100k object dumps,
# parsing alone versus the whole scan (median of several runs, in-process), then wall time and
# peak memory of the CLI (`/usr/bin/time`). Optional: Checkov on the same corpus when
# `checkov` is on PATH (pip install checkov==3.3.30).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bench-data
[ -f bench-data/c10k.yaml ] || python3 benches/gen_cluster.py --namespaces 20 --objects 10000 -o bench-data/c10k.yaml
[ -f bench-data/c100k.yaml ] || python3 benches/gen_cluster.py --namespaces 200 --objects 100000 -o bench-data/c100k.yaml

echo "== in-process: parse only vs whole scan (cargo bench -p kubeward-benches)"
cargo bench -q -p kubeward-benches 2>/dev/null

cargo build -q --release -p kubeward
K=target/release/kubeward
echo
echo "== CLI wall time and peak memory (3 runs each, JSON report to a file)"
for input in testdata/real bench-data/c10k.yaml bench-data/c100k.yaml; do
  for run in 1 2 3; do
    /usr/bin/time -f "$(basename "$input") run $run: %e s wall, %M KB peak RSS" \
      "$K" scan "$input" --format json -o /tmp/kubeward-bench.json >/dev/null 2>/tmp/kubeward-bench.err || true
    tail -n 1 /tmp/kubeward-bench.err
  done
done
python3 - <<'PY'
import json
d = json.load(open("/tmp/kubeward-bench.json"))
print("last report:", d["summary"])
PY

if command -v checkov >/dev/null 2>&1; then
  echo
  echo "== Checkov on the real corpus"
  /usr/bin/time -f "checkov: %e s wall, %M KB peak RSS" \
    checkov -d testdata/real --framework kubernetes -o json --quiet >/tmp/checkov.json 2>/tmp/checkov.err || true
  tail -n 1 /tmp/checkov.err
fi

echo
benches/netpol.sh
benches/paths.sh
