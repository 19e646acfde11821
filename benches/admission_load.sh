#!/usr/bin/env bash
# Load figures of `kubeward serve` for BENCHMARKS.md: pod admission over HTTPS keep-alive,
# the load generator (benches/admission_load.rs, open-loop, latency from each request's
# scheduled time) on the same machine. Phases: 1,000 and 5,000 requests/s, saturation, and a
# long run (SOAK seconds at SOAK_RATE requests/s) sampling the server's resident memory.
#   benches/admission_load.sh            # 30 s phases, 300 s memory run at 1,000/s
#   PHASE=10 SOAK=60 SOAK_RATE=5000 benches/admission_load.sh
#   KUBEWARD=/path/kubeward LOAD=/path/admission_load benches/admission_load.sh   # no build
set -euo pipefail
cd "$(dirname "$0")/.."
PHASE=${PHASE:-30}
SOAK=${SOAK:-300}
SOAK_RATE=${SOAK_RATE:-1000}
CONNS=${CONNS:-32}

if [ -z "${KUBEWARD:-}" ] || [ -z "${LOAD:-}" ]; then
  cargo build -q --release -p kubeward --bin kubeward
  cargo build -q --release -p kubeward-benches --bin admission_load
fi
K=${KUBEWARD:-target/release/kubeward}
L=${LOAD:-target/release/admission_load}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$K" serve --gen-certs "$work/certs" 2>/dev/null
cat > "$work/config.yaml" <<'YAML'
namespaces:
  default:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
rules: {default: audit}
YAML
"$K" serve --listen 127.0.0.1:0 --cert "$work/certs/tls.crt" --key "$work/certs/tls.key" \
  --config "$work/config.yaml" --log-level warn 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.log" && break; sleep 0.1; done
addr=$(grep -o '"address":"[^"]*"' "$work/serve.log" | head -1 | cut -d'"' -f4)
body=testdata/admission/kubewarden-policy-server/pod_without_privileged_containers.json
echo "== kubeward serve $addr, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), body $(wc -c <"$body") bytes ($body), $CONNS connections"
run() { "$L" --addr "$addr" --ca "$work/certs/ca.crt" --body "$body" --connections "$CONNS" --pid "$pid" "$@"; }
run --rate 1000 --duration 5 >/dev/null   # warm-up
run --rate 1000 --duration "$PHASE"
run --rate 5000 --duration "$PHASE"
run --rate max --duration "$PHASE"
run --rate "$SOAK_RATE" --duration "$SOAK" --sample-secs 30
echo "== in-process decision (no HTTP, no TLS)"
if [ -z "${KUBEWARD:-}" ]; then
  cargo run -q --release -p kubeward-admission --example decide_time -- "$body" 20000
fi
echo "== server errors logged: $(grep -c '"level":"error"' "$work/serve.log" || true)"
