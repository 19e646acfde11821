#!/usr/bin/env bash
# Prints the NetworkPolicy reachability figures of BENCHMARKS.md: the full matrix of one port
# over every ordered pair of 10,000 pods under 1,000 policies (`--format summary`), with the
# phases `--timings` prints (loading is reported apart), on two generated clusters: pods of a
# ReplicaSet alike (about 1,000 equivalence classes) and every pod its own class (--unique).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bench-data
[ -f bench-data/netpol-10k.yaml ] || python3 benches/gen_netpol.py --pods 10000 --policies 1000 -o bench-data/netpol-10k.yaml
[ -f bench-data/netpol-10k-unique.yaml ] || python3 benches/gen_netpol.py --pods 10000 --policies 1000 --unique -o bench-data/netpol-10k-unique.yaml

cargo build -q --release -p kubeward
K=target/release/kubeward
for input in bench-data/netpol-10k.yaml bench-data/netpol-10k-unique.yaml; do
  echo "== $(basename "$input"): netpol matrix --ports 8080/TCP --format summary --timings (3 runs)"
  for run in 1 2 3; do
    /usr/bin/time -f "run $run: %e s wall, %M KB peak RSS" \
      "$K" netpol matrix "$input" --ports 8080/TCP --format summary --timings >/tmp/kubeward-netpol.txt 2>/tmp/kubeward-netpol.err
    cat /tmp/kubeward-netpol.err
  done
  head -n 1 /tmp/kubeward-netpol.txt
done
