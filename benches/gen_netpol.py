#!/usr/bin/env python3
"""Write a synthetic cluster for the NetworkPolicy reachability benchmark (multi-document YAML).

  python3 benches/gen_netpol.py --pods 10000 --policies 1000 -o bench-data/netpol-10k.yaml
  python3 benches/gen_netpol.py --pods 10000 --policies 1000 --unique -o bench-data/netpol-10k-unique.yaml

Model (standard library only, deterministic for a given --seed):
* --namespaces N tenant namespaces (default 50) labelled team=t<i mod 5>, env=prod|dev, and
  kube-system with a CoreDNS pod.
* Pods spread evenly over the tenants, each with app=app-<k> (20 apps per namespace), tier
  (web, api, db, cache), a pod-template-hash per app (as a ReplicaSet stamps), named
  container ports (http 8080/TCP, metrics 9090/TCP; db: postgres 5432/TCP) and a status.podIP
  in 10.<ns>.x.y. --unique adds a per-pod label (statefulset.kubernetes.io/pod-name), so
  every pod is its own equivalence class: the engine's worst case.
* Policies, cycling over the namespaces until --policies are written: a default-deny of
  ingress and egress per namespace, DNS egress to kube-system/kube-dns, tier-to-tier allows on
  named and numbered ports (web -> api http, api -> db postgres), allows from namespaces of
  the same team (AND-ed with a pod selector), a monitoring allow on the metrics port from
  env=prod namespaces, egress to 0.0.0.0/0 except 10.0.0.0/8 and 169.254.169.254/32 on 443,
  an ingress allow from an ipBlock, and an endPort range; plus a few ClusterNetworkPolicies
  (Admin: deny from env=dev into env=prod, pass for kube-system; Baseline: deny all).
"""
import argparse
import random
import sys

TIERS = ["web", "api", "db", "cache"]


def ns_doc(name, labels):
    lines = ["---", "apiVersion: v1", "kind: Namespace", "metadata:", f"  name: {name}"]
    if labels:
        lines.append("  labels:")
        lines += [f"    {k}: {v}" for k, v in labels.items()]
    return "\n".join(lines) + "\n"


def pod_doc(ns, name, labels, ports, ip):
    lines = ["---", "apiVersion: v1", "kind: Pod", "metadata:", f"  name: {name}",
             f"  namespace: {ns}", "  labels:"]
    lines += [f"    {k}: {v}" for k, v in labels.items()]
    lines += ["spec:", "  containers:", "  - name: main", "    image: registry.example/app:1",
              "    ports:"]
    for pname, port, proto in ports:
        lines += [f"    - name: {pname}", f"      containerPort: {port}", f"      protocol: {proto}"]
    lines += ["status:", f"  podIP: {ip}"]
    return "\n".join(lines) + "\n"


def policy(ns, name, body):
    return ("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            f"  name: {name}\n  namespace: {ns}\nspec:\n{body}")


def policies_for(ns, i, rnd, teams):
    """An endless supply of policies for namespace ns (index i)."""
    yield policy(ns, "default-deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")
    yield policy(ns, "allow-dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                 "  - to:\n    - namespaceSelector:\n        matchLabels:\n"
                 "          kubernetes.io/metadata.name: kube-system\n"
                 "      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n"
                 "    ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n")
    yield policy(ns, "web-to-api", "  podSelector:\n    matchLabels:\n      tier: api\n"
                 "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: web\n"
                 "    ports:\n    - port: http\n")
    yield policy(ns, "web-egress-api", "  podSelector:\n    matchLabels:\n      tier: web\n"
                 "  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n"
                 "        matchLabels:\n          tier: api\n    ports:\n    - port: http\n")
    yield policy(ns, "api-to-db", "  podSelector:\n    matchLabels:\n      tier: db\n"
                 "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: api\n"
                 "    ports:\n    - port: postgres\n")
    yield policy(ns, "api-egress-db", "  podSelector:\n    matchLabels:\n      tier: api\n"
                 "  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n"
                 "        matchExpressions:\n        - key: tier\n          operator: In\n"
                 "          values: [db, cache]\n")
    yield policy(ns, "metrics", "  podSelector: {}\n  ingress:\n  - from:\n"
                 "    - namespaceSelector:\n        matchLabels:\n          env: prod\n"
                 "      podSelector:\n        matchLabels:\n          app: app-0\n"
                 "    ports:\n    - port: metrics\n")
    yield policy(ns, "internet-egress", "  podSelector:\n    matchLabels:\n      tier: web\n"
                 "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n"
                 "        except: [10.0.0.0/8, 169.254.169.254/32]\n    ports:\n    - port: 443\n")
    k = 0
    while True:
        k += 1
        app = f"app-{rnd.randrange(20)}"
        team = teams[rnd.randrange(len(teams))]
        kind = rnd.randrange(4)
        if kind == 0:
            yield policy(ns, f"team-{k}", f"  podSelector:\n    matchLabels:\n      app: {app}\n"
                         "  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n"
                         f"          team: {team}\n      podSelector:\n        matchLabels:\n"
                         f"          tier: {TIERS[rnd.randrange(4)]}\n    ports:\n    - port: 8080\n")
        elif kind == 1:
            yield policy(ns, f"lb-{k}", f"  podSelector:\n    matchLabels:\n      app: {app}\n"
                         "  ingress:\n  - from:\n    - ipBlock:\n"
                         f"        cidr: 203.0.{rnd.randrange(256)}.0/24\n    ports:\n    - port: http\n")
        elif kind == 2:
            yield policy(ns, f"range-{k}", f"  podSelector:\n    matchLabels:\n      app: {app}\n"
                         "  ingress:\n  - from:\n    - podSelector: {}\n"
                         "    ports:\n    - port: 8000\n      endPort: 8100\n")
        else:
            yield policy(ns, f"egress-{k}", f"  podSelector:\n    matchLabels:\n      app: {app}\n"
                         "  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n"
                         f"        matchLabels:\n          team: {team}\n")


CLUSTER_POLICIES = """---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: no-dev-into-prod
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces:
      matchLabels:
        env: prod
  ingress:
  - name: pass-system
    action: Pass
    from:
    - namespaces:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
  - name: deny-dev
    action: Deny
    from:
    - namespaces:
        matchLabels:
          env: dev
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: baseline-deny
spec:
  tier: Baseline
  priority: 0
  subject:
    namespaces: {}
  ingress:
  - action: Deny
    from:
    - namespaces: {}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--unique", action="store_true", help="one equivalence class per pod")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    names = [f"tenant-{i:03d}" for i in range(a.namespaces)]
    teams = [f"t{i}" for i in range(5)]
    out.write(ns_doc("kube-system", {}))
    out.write(pod_doc("kube-system", "coredns", {"k8s-app": "kube-dns"},
                      [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")], "10.255.0.10"))
    for i, ns in enumerate(names):
        out.write(ns_doc(ns, {"team": teams[i % 5], "env": "prod" if i % 2 == 0 else "dev"}))
    for j in range(a.pods - 1):
        i = j % a.namespaces
        ns = names[i]
        n = j // a.namespaces
        app = n % 20
        tier = TIERS[app % 4]
        labels = {"app": f"app-{app}", "tier": tier, "pod-template-hash": f"h{app:02d}{i:03d}"}
        if a.unique:
            labels["statefulset.kubernetes.io/pod-name"] = f"p{j}"
        ports = [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]
        if tier == "db":
            ports.append(("postgres", 5432, "TCP"))
        ip = f"10.{i % 250}.{n // 250}.{n % 250 + 1}"
        out.write(pod_doc(ns, f"{ns}-app-{app}-{n}", labels, ports, ip))
    out.write(CLUSTER_POLICIES)
    gens = [policies_for(ns, i, rnd, teams) for i, ns in enumerate(names)]
    written = 2
    while written < a.policies:
        for g in gens:
            if written >= a.policies:
                break
            out.write(next(g))
            written += 1
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
