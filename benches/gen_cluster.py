#!/usr/bin/env python3
"""Write a synthetic but realistic cluster dump (multi-document YAML).

It replicates and renames the objects of the real corpus (testdata/real,
pre-parsed into seed.json.gz by tools/corpus_stats.py --export-seed), so every
object is shaped like something a real project ships.  Standard library only;
deterministic for a given seed.

  python3 benches/gen_cluster.py --namespaces 20 --objects 10000 -o c10k.yaml
  python3 benches/gen_cluster.py --namespaces 5 --scale 2 -o c.yaml

Model
* One "stack" = the objects of one real corpus file (argo-cd install, the
  online-boutique demo, ...).  A stack instance is placed into one of the N
  tenant namespaces (team-0000 ... team-N-1); every namespace the stack uses
  is mapped to that tenant namespace (kube-system/kube-public stay as they are).
* Every object name gets an instance suffix; references by name are rewritten
  with the same map: serviceAccountName, volumes (configMap/secret/PVC/projected),
  env/envFrom refs, imagePullSecrets, RoleBinding roleRef + subjects,
  Ingress backends, HPA/VPA targets, StatefulSet serviceName, webhook and
  APIService service refs.
* Label `app.kubernetes.io/instance: <suffix>` is added to object labels, pod
  template labels and to matchLabels / Service selectors / NetworkPolicy
  podSelectors of the same instance, so selectors still select what they did.
  NetworkPolicy namespaceSelectors on kubernetes.io/metadata.name are remapped.
* CustomResourceDefinitions are emitted once (cluster-wide), Namespace objects
  are generated one per tenant, other cluster-scoped objects are renamed.
* --scale F: F stack instances per namespace on average; --objects M: add
  instances until at least M objects were written (stops at the first instance
  that reaches M, so the total slightly exceeds M).
"""
import argparse
import copy
import gzip
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = os.path.join(HERE, "seed.json.gz")

CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "APIService", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "PriorityClass", "IngressClass", "RuntimeClass", "PodSecurityPolicy", "CSIDriver", "CSINode",
    "VolumeSnapshotClass", "ClusterIssuer", "ClusterPolicy", "GatewayClass", "SecurityContextConstraints",
    "ClusterServingRuntime", "ClusterQueue", "ResourceFlavor", "IPAddressPool", "FlowSchema",
    "PriorityLevelConfiguration", "InitializerConfiguration", "ClusterSecretStore",
}
KEEP_NS = {"kube-system", "kube-public", "kube-node-lease"}
POD_PARENTS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
INSTANCE_LABEL = "app.kubernetes.io/instance"


# ----------------------------------------------------------------------------
# YAML emitter (block style) for JSON-shaped data
# ----------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z_./$(][A-Za-z0-9_./@$()+=, -]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|"
    r"null|Null|NULL|~|=|<<)$")
_NUMLIKE = re.compile(r"^[-+]?(\.?[0-9]|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)|^0[xob]|^[0-9_:.]+$")


def _scalar(s):
    if not isinstance(s, str):
        if s is None:
            return "null"
        if isinstance(s, bool):
            return "true" if s else "false"
        if isinstance(s, (int, float)):
            return json.dumps(s)
        s = str(s)
    if (s and _PLAIN.match(s) and not _RESERVED.match(s) and not _NUMLIKE.match(s)
            and not s.endswith(" ") and " #" not in s and ": " not in s):
        return s
    return json.dumps(s, ensure_ascii=False)


def _block_ok(s):
    if "\n" not in s or s[0] in " \n" or "\r" in s or "\t" in s:
        return False
    return all(ch.isprintable() for ch in s.replace("\n", ""))


def _emit_str(s, indent, out):
    """Return text that follows 'key:' or '- ' for string s."""
    if isinstance(s, str) and _block_ok(s):
        body = s.rstrip("\n")
        trail = len(s) - len(body)
        chomp = "-" if trail == 0 else ("" if trail == 1 else "+")
        pad = " " * (indent + 2)
        lines = [(pad + ln) if ln else "" for ln in body.split("\n")]
        out.append(" |" + chomp + "\n" + "\n".join(lines) + "\n" + ("\n" * (trail - 1) if trail > 1 else ""))
        return
    out.append(" " + _scalar(s) + "\n")


def _emit(v, indent, out):
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            key = _scalar(k)
            if isinstance(x, dict) and x:
                out.append(f"{pad}{key}:\n")
                _emit(x, indent + 2, out)
            elif isinstance(x, list) and x:
                out.append(f"{pad}{key}:\n")
                _emit(x, indent + 2, out)
            elif isinstance(x, dict):
                out.append(f"{pad}{key}: {{}}\n")
            elif isinstance(x, list):
                out.append(f"{pad}{key}: []\n")
            else:
                out.append(f"{pad}{key}:")
                _emit_str(x, indent, out)
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, dict) and x:
                sub = []
                _emit(x, indent + 2, sub)
                first = sub[0]
                sub[0] = pad + "- " + first[indent + 2:]
                out.extend(sub)
            elif isinstance(x, list) and x:
                out.append(f"{pad}-\n")
                _emit(x, indent + 2, out)
            elif isinstance(x, dict):
                out.append(f"{pad}- {{}}\n")
            elif isinstance(x, list):
                out.append(f"{pad}- []\n")
            else:
                out.append(f"{pad}-")
                _emit_str(x, indent, out)
    else:
        out.append(pad + _scalar(v) + "\n")


def to_yaml(obj):
    out = []
    _emit(obj, 0, out)
    return "".join(out)


# ----------------------------------------------------------------------------
# renaming
# ----------------------------------------------------------------------------
def _ref_kind(kind):
    """Name spaces for references: roles and cluster roles are separate."""
    return kind


def pod_spec(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in POD_PARENTS or kind == "DeploymentConfig":
        return ((spec.get("template") or {}).get("spec")) if isinstance(spec.get("template"), dict) else None
    if kind == "CronJob":
        jt = (spec.get("jobTemplate") or {}).get("spec") or {}
        return ((jt.get("template") or {}).get("spec")) if isinstance(jt.get("template"), dict) else None
    return None


def pod_template_meta(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in POD_PARENTS or kind == "DeploymentConfig":
        t = spec.get("template")
    elif kind == "CronJob":
        t = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    else:
        return None
    if not isinstance(t, dict):
        return None
    return t.setdefault("metadata", {})


class Instance:
    def __init__(self, objs, tenant_ns, suffix, rng):
        self.objs = objs
        self.ns = tenant_ns
        self.sfx = suffix
        self.rng = rng
        self.names = {}   # (kind, old) -> new
        for o in objs:
            md = o.get("metadata") or {}
            n = md.get("name")
            if isinstance(n, str):
                self.names[(o.get("kind"), n)] = self._new(n)

    def _new(self, n):
        # keep within the 253-char (DNS subdomain) limit; most names are short
        return (n[: 240] + "-" + self.sfx)

    def nm(self, kind, n):
        if not isinstance(n, str):
            return n
        return self.names.get((kind, n), n)

    def nsmap(self, ns):
        if not isinstance(ns, str) or ns in KEEP_NS:
            return ns
        return self.ns

    def rename_pod(self, ps):
        if not isinstance(ps, dict):
            return
        for k in ("serviceAccountName", "serviceAccount"):
            if k in ps:
                ps[k] = self.nm("ServiceAccount", ps[k])
        for s in ps.get("imagePullSecrets") or []:
            if isinstance(s, dict) and "name" in s:
                s["name"] = self.nm("Secret", s["name"])
        for v in ps.get("volumes") or []:
            if not isinstance(v, dict):
                continue
            if isinstance(v.get("configMap"), dict):
                v["configMap"]["name"] = self.nm("ConfigMap", v["configMap"].get("name"))
            if isinstance(v.get("secret"), dict):
                v["secret"]["secretName"] = self.nm("Secret", v["secret"].get("secretName"))
            if isinstance(v.get("persistentVolumeClaim"), dict):
                pvc = v["persistentVolumeClaim"]
                pvc["claimName"] = self.nm("PersistentVolumeClaim", pvc.get("claimName"))
            for src in ((v.get("projected") or {}).get("sources") or []):
                if isinstance(src, dict):
                    if isinstance(src.get("configMap"), dict):
                        src["configMap"]["name"] = self.nm("ConfigMap", src["configMap"].get("name"))
                    if isinstance(src.get("secret"), dict):
                        src["secret"]["name"] = self.nm("Secret", src["secret"].get("name"))
        for c in (ps.get("containers") or []) + (ps.get("initContainers") or []) + (ps.get("ephemeralContainers") or []):
            if not isinstance(c, dict):
                continue
            for ef in c.get("envFrom") or []:
                if isinstance(ef, dict):
                    if isinstance(ef.get("configMapRef"), dict):
                        ef["configMapRef"]["name"] = self.nm("ConfigMap", ef["configMapRef"].get("name"))
                    if isinstance(ef.get("secretRef"), dict):
                        ef["secretRef"]["name"] = self.nm("Secret", ef["secretRef"].get("name"))
            for e in c.get("env") or []:
                vf = e.get("valueFrom") if isinstance(e, dict) else None
                if isinstance(vf, dict):
                    if isinstance(vf.get("configMapKeyRef"), dict):
                        vf["configMapKeyRef"]["name"] = self.nm("ConfigMap", vf["configMapKeyRef"].get("name"))
                    if isinstance(vf.get("secretKeyRef"), dict):
                        vf["secretKeyRef"]["name"] = self.nm("Secret", vf["secretKeyRef"].get("name"))

    def add_sel(self, sel):
        """Add the instance label to a LabelSelector that has matchLabels."""
        if isinstance(sel, dict) and isinstance(sel.get("matchLabels"), dict):
            sel["matchLabels"][INSTANCE_LABEL] = self.sfx

    def build(self):
        out = []
        seen = set()
        for src in self.objs:
            o = copy.deepcopy(src)
            kind = o.get("kind")
            md = o.setdefault("metadata", {})
            if not isinstance(md, dict):
                continue
            md["name"] = self.nm(kind, md.get("name"))
            if kind not in CLUSTER_SCOPED:
                md["namespace"] = self.nsmap(md.get("namespace") or "default")
            else:
                md.pop("namespace", None)
            key = (kind, md.get("namespace"), md.get("name"))
            n = 1
            while key in seen:  # concatenated sample files repeat names; keep objects distinct
                n += 1
                key = (kind, md.get("namespace"), f"{self.nm(kind, src['metadata'].get('name'))}-d{n}")
            if n > 1:
                md["name"] = key[2]
            seen.add(key)
            labels = md.get("labels")
            if not isinstance(labels, dict):
                labels = md["labels"] = {}
            labels[INSTANCE_LABEL] = self.sfx
            spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}

            # workloads
            ps = pod_spec(o)
            if ps is not None:
                self.rename_pod(ps)
                tm = pod_template_meta(o)
                if tm is not None:
                    tl = tm.get("labels")
                    if not isinstance(tl, dict):
                        tl = tm["labels"] = {}
                    tl[INSTANCE_LABEL] = self.sfx
                if kind in POD_PARENTS:
                    self.add_sel(spec.get("selector"))
                if kind == "Pod":
                    pass
                if kind == "StatefulSet" and "serviceName" in spec:
                    spec["serviceName"] = self.nm("Service", spec["serviceName"])
                if kind in ("Deployment", "StatefulSet", "ReplicaSet") and isinstance(spec.get("replicas"), int):
                    spec["replicas"] = self.rng.choice([1, 1, 2, 2, 3, 5]) if spec["replicas"] > 0 else 0
            elif kind == "ReplicationController" and isinstance(spec.get("selector"), dict):
                spec["selector"][INSTANCE_LABEL] = self.sfx

            if kind == "Service" and isinstance(spec.get("selector"), dict) and spec["selector"]:
                spec["selector"][INSTANCE_LABEL] = self.sfx
            if kind == "PodDisruptionBudget":
                self.add_sel(spec.get("selector"))
            if kind == "NetworkPolicy":
                self.add_sel(spec.get("podSelector"))
                for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
                    if not isinstance(rule, dict):
                        continue
                    for peer in (rule.get("from") or []) + (rule.get("to") or []):
                        if not isinstance(peer, dict):
                            continue
                        nsel = peer.get("namespaceSelector")
                        if isinstance(nsel, dict) and isinstance(nsel.get("matchLabels"), dict):
                            ml = nsel["matchLabels"]
                            if "kubernetes.io/metadata.name" in ml:
                                ml["kubernetes.io/metadata.name"] = self.nsmap(ml["kubernetes.io/metadata.name"])
                        elif isinstance(peer.get("podSelector"), dict) and "namespaceSelector" not in peer:
                            self.add_sel(peer["podSelector"])
            if kind in ("RoleBinding", "ClusterRoleBinding"):
                rr = o.get("roleRef")
                if isinstance(rr, dict):
                    rr["name"] = self.nm(rr.get("kind"), rr.get("name"))
                for s in o.get("subjects") or []:
                    if isinstance(s, dict) and s.get("kind") == "ServiceAccount":
                        s["name"] = self.nm("ServiceAccount", s.get("name"))
                        s["namespace"] = self.nsmap(s.get("namespace") or md.get("namespace") or "default")
            if kind == "Ingress":
                rules = spec.get("rules") or []
                backs = [spec.get("defaultBackend"), spec.get("backend")]
                for r in rules:
                    for p in (((r or {}).get("http") or {}).get("paths") or []):
                        backs.append((p or {}).get("backend"))
                for b in backs:
                    if not isinstance(b, dict):
                        continue
                    if isinstance(b.get("service"), dict):
                        b["service"]["name"] = self.nm("Service", b["service"].get("name"))
                    if "serviceName" in b:
                        b["serviceName"] = self.nm("Service", b["serviceName"])
                for t in spec.get("tls") or []:
                    if isinstance(t, dict) and "secretName" in t:
                        t["secretName"] = self.nm("Secret", t["secretName"])
            if kind in ("HorizontalPodAutoscaler", "VerticalPodAutoscaler"):
                tr = spec.get("scaleTargetRef") or spec.get("targetRef")
                if isinstance(tr, dict):
                    tr["name"] = self.nm(tr.get("kind"), tr.get("name"))
            if kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
                for w in o.get("webhooks") or []:
                    svc = ((w or {}).get("clientConfig") or {}).get("service")
                    if isinstance(svc, dict):
                        svc["name"] = self.nm("Service", svc.get("name"))
                        svc["namespace"] = self.nsmap(svc.get("namespace"))
            if kind == "APIService" and isinstance(spec.get("service"), dict):
                spec["service"]["name"] = self.nm("Service", spec["service"].get("name"))
                spec["service"]["namespace"] = self.nsmap(spec["service"].get("namespace"))
            out.append(o)
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed-file", default=DEFAULT_SEED, help="seed.json.gz (default: beside this script)")
    ap.add_argument("--namespaces", "-n", type=int, default=10)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--scale", type=float, default=None, help="stack instances per namespace")
    g.add_argument("--objects", type=int, default=None, help="stop once this many objects were written")
    ap.add_argument("--seed", type=int, default=1, help="random seed")
    ap.add_argument("--exclude", action="append", default=[], help="skip corpus files whose path contains this")
    ap.add_argument("--no-crds", action="store_true", help="leave CustomResourceDefinitions out")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.scale is None and a.objects is None:
        a.scale = 1.0

    with gzip.open(a.seed_file, "rt", encoding="utf-8") as fh:
        seed = json.load(fh)
    rng = random.Random(a.seed)

    crds, stacks = {}, []
    for f in sorted(seed["files"], key=lambda f: f["file"]):
        if any(x in f["file"] for x in a.exclude):
            continue
        objs = []
        for o in f["objects"]:
            if not isinstance(o, dict) or not isinstance(o.get("metadata"), dict):
                continue
            if o.get("kind") == "CustomResourceDefinition":
                crds.setdefault(o["metadata"].get("name"), o)
            elif o.get("kind") != "Namespace":
                objs.append(o)
        if objs:
            stacks.append((f["file"], objs))
    if not stacks:
        sys.exit("no stacks in seed")
    # small stacks are picked more often than huge ones; weight ~ 1/sqrt(size)
    weights = [1.0 / max(1, len(o)) ** 0.5 for _, o in stacks]

    fh = sys.stdout if a.output == "-" else open(a.output, "w", encoding="utf-8")
    written = 0

    def write(obj):
        nonlocal written
        fh.write("---\n")
        fh.write(to_yaml(obj))
        written += 1

    tenants = [f"team-{i:04d}" for i in range(a.namespaces)]
    for t in tenants:
        write({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": t, "labels": {"kubernetes.io/metadata.name": t, "tenant": t}}})
    if not a.no_crds:
        for name in sorted(crds, key=str):
            write(crds[name])

    target_instances = None if a.scale is None else max(1, round(a.scale * a.namespaces))
    i = 0
    while True:
        if target_instances is not None and i >= target_instances:
            break
        if a.objects is not None and written >= a.objects:
            break
        tenant = tenants[i % len(tenants)]
        idx = rng.choices(range(len(stacks)), weights=weights)[0]
        suffix = f"i{i:05d}"
        for o in Instance(stacks[idx][1], tenant, suffix, rng).build():
            write(o)
        i += 1
    if fh is not sys.stdout:
        fh.close()
    print(f"wrote {written} objects ({i} stack instances, {len(crds) if not a.no_crds else 0} CRDs, "
          f"{len(tenants)} namespaces)", file=sys.stderr)


if __name__ == "__main__":
    main()
