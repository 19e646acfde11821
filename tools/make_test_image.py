#!/usr/bin/env python3
"""Build a small, real, multi-ecosystem test image without Docker.

Two sub-commands:

  prepare  Populate a work directory with real package-manager output
           (needs network access to the package registries and the tools
           named below; each step is skipped when its tool is missing):
             rootfs/      debootstrap --variant=minbase bookworm  (dpkg status db)
             python/      pip install --target (real *.dist-info directories)
             node/app/    npm install (real node_modules + package-lock.json)
             rust/        a tiny crate built with `cargo auditable`
                          (binary carries a .dep-v0 section with its deps)
             go/          a tiny Go program (binary carries Go buildinfo)
             alpine/      a minimal Alpine-shaped rootfs: os-release and a
                          lib/apk/db/installed written by this script
                          (package name/version pairs are real Alpine ones,
                          the file itself is synthetic: no Alpine mirror here)

  pack     Turn the work directory into
             <out>/oci/            OCI image layout (oci-layout, index.json, blobs/sha256)
             <out>/docker-save.tar docker-save tarball (manifest.json, repositories,
                                   <id>/layer.tar, <config>.json) -- the classic format;
                                   --docker-oci also adds index.json/oci-layout/blobs as
                                   Docker >= 25 writes them
             <out>/alpine-oci/     single-layer OCI layout of the alpine/ tree
             <out>/EXPECTED.json   what a correct scanner must report (per layer)
           Packing uses only the Python standard library and is reproducible:
           entries sorted, mtimes clamped to SOURCE_DATE_EPOCH, gzip mtime 0,
           uname/gname empty.

Layers of the main image (in order):
  1 base     the Debian rootfs
  2 python   site-packages under usr/local/lib/python3.11/site-packages
  3 node     /app with package.json, package-lock.json, node_modules
  4 bins     usr/local/bin/vulnapp (Rust, cargo-auditable), usr/local/bin/goapp (Go)
  5 delete   whiteouts: removes the `click` package (dir + dist-info) that layer 2
             added, and replaces /app/node_modules/minimist via an opaque
             directory whose only content is a README (so minimist must NOT be
             reported from the squashed view, but is present in layer 3)

Regenerate:
  W=<scratch dir outside the repository>
  python3 tools/make_test_image.py prepare --work $W
  python3 tools/make_test_image.py pack --work $W --out $W/out
Keep the outputs out of the repository (they are ~80 MB compressed).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import time

PY_PKGS = [
    "requests==2.25.1", "urllib3==1.26.4", "idna==2.10", "certifi==2020.12.5",
    "chardet==4.0.0", "jinja2==2.11.3", "markupsafe==2.1.1", "flask==1.1.2",
    "werkzeug==1.0.1", "itsdangerous==1.1.0", "click==7.1.2",
]
NPM_PKGS = [
    "lodash@4.17.15", "minimist@1.2.0", "axios@0.21.0", "node-fetch@2.6.0",
    "express@4.17.1", "semver@5.7.1",
]
RUST_CARGO_TOML = """[package]
name = "vulnapp"
version = "0.1.0"
edition = "2021"

[dependencies]
smallvec = "=1.6.0"
"""
RUST_MAIN = """use smallvec::SmallVec;
fn main() {
    let mut v: SmallVec<[u8; 4]> = SmallVec::new();
    v.push(1);
    println!("{}", v.len());
}
"""
GO_MAIN = """package main

import (
\t"fmt"
\t"net/http"
)

func main() { fmt.Println(http.StatusText(200)) }
"""
GO_MOD = "module example.com/goapp\n\ngo 1.19\n"

# Real Alpine v3.18 package name/version pairs (the apk "installed" file that
# carries them is written by us).  Fields: P name, V version, A arch,
# o origin (source package), L license, T description.
ALPINE_PKGS = [
    ("musl", "1.2.4-r0", "musl", "MIT", "the musl c library (libc) implementation"),
    ("busybox", "1.36.1-r0", "busybox", "GPL-2.0-only", "Size optimized toolbox of many common UNIX utilities"),
    ("busybox-binsh", "1.36.1-r0", "busybox", "GPL-2.0-only", "busybox ash /bin/sh"),
    ("alpine-baselayout", "3.4.3-r1", "alpine-baselayout", "GPL-2.0-only", "Alpine base dir structure and init scripts"),
    ("alpine-keys", "2.4-r1", "alpine-keys", "MIT", "Public keys for Alpine Linux packages"),
    ("ca-certificates-bundle", "20230506-r0", "ca-certificates", "MPL-2.0 AND MIT", "Pre generated bundle of Mozilla certificates"),
    ("libcrypto3", "3.1.0-r4", "openssl", "Apache-2.0", "Crypto library from openssl"),
    ("libssl3", "3.1.0-r4", "openssl", "Apache-2.0", "SSL shared libraries"),
    ("zlib", "1.2.13-r1", "zlib", "Zlib", "A compression/decompression Library"),
    ("apk-tools", "2.14.0-r0", "apk-tools", "GPL-2.0-only", "Alpine Package Keeper - package manager for alpine"),
    ("scanelf", "1.3.7-r1", "pax-utils", "GPL-2.0-only", "Scan ELF binaries for stuff"),
    ("musl-utils", "1.2.4-r0", "musl", "MIT AND BSD-2-Clause AND GPL-2.0-or-later", "the musl c library (libc) implementation"),
    ("libc-utils", "0.7.2-r5", "libc-dev", "BSD-2-Clause AND BSD-3-Clause", "Meta package to pull in correct libc"),
    ("ssl_client", "1.36.1-r0", "busybox", "GPL-2.0-only", "EXternal ssl_client for busybox wget"),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def have(tool):
    return shutil.which(tool) is not None


def run(cmd, **kw):
    log("+", " ".join(cmd))
    subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- prepare
def prepare(work, suite, mirror):
    os.makedirs(work, exist_ok=True)
    rootfs = os.path.join(work, "rootfs")
    if not os.path.exists(os.path.join(rootfs, "var/lib/dpkg/status")):
        if have("debootstrap"):
            run(["debootstrap", "--variant=minbase", suite, rootfs, mirror])
        else:
            log("debootstrap missing: skipping Debian rootfs (apt-get install debootstrap)")
    pydir = os.path.join(work, "python", "site-packages")
    if not os.path.isdir(pydir):
        run([sys.executable, "-m", "pip", "install", "--no-compile", "--no-deps",
             "--target", pydir] + PY_PKGS)
    app = os.path.join(work, "node", "app")
    if not os.path.isdir(os.path.join(app, "node_modules")) and have("npm"):
        os.makedirs(app, exist_ok=True)
        with open(os.path.join(app, "package.json"), "w") as f:
            json.dump({"name": "app", "version": "1.0.0", "private": True}, f, indent=2)
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"] + NPM_PKGS, cwd=app)
    rust = os.path.join(work, "rust")
    if not os.path.exists(os.path.join(rust, "target/release/vulnapp")):
        if have("cargo") and (have("cargo-auditable") or os.path.exists(os.path.expanduser("~/.cargo/bin/cargo-auditable"))):
            os.makedirs(os.path.join(rust, "src"), exist_ok=True)
            open(os.path.join(rust, "Cargo.toml"), "w").write(RUST_CARGO_TOML)
            open(os.path.join(rust, "src/main.rs"), "w").write(RUST_MAIN)
            run(["cargo", "auditable", "build", "--release"], cwd=rust)
        else:
            log("cargo-auditable missing: skipping Rust binary (cargo install cargo-auditable)")
    god = os.path.join(work, "go")
    if not os.path.exists(os.path.join(god, "goapp")):
        if have("go"):
            os.makedirs(god, exist_ok=True)
            open(os.path.join(god, "main.go"), "w").write(GO_MAIN)
            open(os.path.join(god, "go.mod"), "w").write(GO_MOD)
            run(["go", "build", "-o", "goapp", "."], cwd=god)
        else:
            log("go missing: skipping Go binary (apt-get install golang-go)")
    write_alpine(os.path.join(work, "alpine"))


def write_alpine(root):
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    os.makedirs(os.path.join(root, "lib/apk/db"), exist_ok=True)
    with open(os.path.join(root, "etc/os-release"), "w") as f:
        f.write('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.0\n'
                'PRETTY_NAME="Alpine Linux v3.18"\nHOME_URL="https://alpinelinux.org/"\n')
    with open(os.path.join(root, "etc/alpine-release"), "w") as f:
        f.write("3.18.0\n")
    recs = []
    for name, ver, origin, lic, desc in ALPINE_PKGS:
        recs.append("\n".join([
            "P:" + name, "V:" + ver, "A:x86_64", "T:" + desc,
            "U:https://alpinelinux.org", "L:" + lic, "o:" + origin, "",
        ]))
    with open(os.path.join(root, "lib/apk/db/installed"), "w") as f:
        f.write("\n".join(recs))


# ---------------------------------------------------------------- packing
def _epoch():
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))


class Layer:
    """Collects (archive path -> source path | synthetic entry) and writes a tar."""

    def __init__(self, name):
        self.name = name
        self.items = {}  # arcname -> ("file", src) | ("empty", None) | ("dir", None)

    def add_tree(self, src_root, dest_prefix=""):
        src_root = os.path.abspath(src_root)
        for dirpath, dirnames, filenames in os.walk(src_root, followlinks=False):
            rel = os.path.relpath(dirpath, src_root)
            arc_dir = os.path.normpath(os.path.join(dest_prefix, rel)) if rel != "." else dest_prefix.rstrip("/")
            if arc_dir:
                self._parents(arc_dir)
                self.items[arc_dir] = ("fs", dirpath)
            # symlinks to directories show up in dirnames; treat as entries
            for n in list(dirnames):
                p = os.path.join(dirpath, n)
                if os.path.islink(p):
                    self.items[os.path.join(arc_dir, n) if arc_dir else n] = ("fs", p)
                    dirnames.remove(n)
            for n in filenames:
                p = os.path.join(dirpath, n)
                self.items[os.path.join(arc_dir, n) if arc_dir else n] = ("fs", p)

    def add_file(self, arcname, src):
        self._parents(os.path.dirname(arcname))
        self.items[arcname] = ("fs", src)

    def add_bytes(self, arcname, data):
        self._parents(os.path.dirname(arcname))
        self.items[arcname] = ("bytes", data)

    def _parents(self, d):
        parts = [p for p in d.split("/") if p]
        for i in range(1, len(parts) + 1):
            k = "/".join(parts[:i])
            self.items.setdefault(k, ("dir", None))

    def write_tar(self, fileobj):
        epoch = _epoch()
        tf = tarfile.open(fileobj=fileobj, mode="w", format=tarfile.PAX_FORMAT)
        for arc in sorted(self.items):
            kind, src = self.items[arc]
            if kind == "fs":
                ti = tf.gettarinfo(src, arcname=arc)
                if ti is None:  # sockets etc.
                    continue
            elif kind == "dir":
                ti = tarfile.TarInfo(arc)
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            else:
                ti = tarfile.TarInfo(arc)
                ti.size = len(src)
                ti.mode = 0o644
            ti.mtime = min(int(ti.mtime), epoch) if kind == "fs" else epoch
            ti.uname = ti.gname = ""
            ti.pax_headers = {}
            if ti.isreg() and kind == "fs":
                with open(src, "rb") as f:
                    tf.addfile(ti, f)
            elif kind == "bytes":
                tf.addfile(ti, io.BytesIO(src))
            else:
                tf.addfile(ti)
        tf.close()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_layers(work):
    layers = []
    base = Layer("base")
    rootfs = os.path.join(work, "rootfs")
    if os.path.isdir(rootfs):
        base.add_tree(rootfs)
    layers.append(base)

    py = Layer("python")
    if os.path.isdir(os.path.join(work, "python/site-packages")):
        py.add_tree(os.path.join(work, "python/site-packages"),
                    "usr/local/lib/python3.11/site-packages")
    layers.append(py)

    node = Layer("node")
    app = os.path.join(work, "node/app")
    if os.path.isdir(app):
        node.add_tree(app, "app")
    layers.append(node)

    bins = Layer("bins")
    for src, arc in (("rust/target/release/vulnapp", "usr/local/bin/vulnapp"),
                     ("go/goapp", "usr/local/bin/goapp")):
        p = os.path.join(work, src)
        if os.path.exists(p):
            bins.add_file(arc, p)
    layers.append(bins)

    dele = Layer("delete")
    sp = "usr/local/lib/python3.11/site-packages"
    dele.add_bytes(sp + "/.wh.click", b"")
    dele.add_bytes(sp + "/.wh.click-7.1.2.dist-info", b"")
    dele.add_bytes("app/node_modules/minimist/.wh..wh..opq", b"")
    dele.add_bytes("app/node_modules/minimist/README", b"minimist removed by an opaque whiteout\n")
    layers.append(dele)
    return layers


def write_blob(blobdir, data_or_path):
    os.makedirs(blobdir, exist_ok=True)
    if isinstance(data_or_path, bytes):
        d = hashlib.sha256(data_or_path).hexdigest()
        with open(os.path.join(blobdir, d), "wb") as f:
            f.write(data_or_path)
        return d, len(data_or_path)
    d = sha256_file(data_or_path)
    dst = os.path.join(blobdir, d)
    if not os.path.exists(dst):
        shutil.copyfile(data_or_path, dst)
    return d, os.path.getsize(dst)


def jbytes(obj):
    return json.dumps(obj, indent=2, sort_keys=True).encode()


def make_config(diff_ids, layer_names, created):
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/bash"],
            "WorkingDir": "/app",
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
        "history": [{"created": created, "created_by": "make_test_image.py layer " + n}
                    for n in layer_names],
    }


def pack(work, out, ref, docker_oci):
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_epoch()))
    layers = build_layers(work)
    raw = []  # (name, tar path, diff_id, gz path, gz digest)
    for i, layer in enumerate(layers):
        tpath = os.path.join(tmp, "%d-%s.tar" % (i, layer.name))
        with open(tpath, "wb") as f:
            layer.write_tar(f)
        diff_id = sha256_file(tpath)
        gzpath = tpath + ".gz"
        with open(tpath, "rb") as src, open(gzpath, "wb") as dst:
            with gzip.GzipFile(filename="", mode="wb", fileobj=dst, mtime=0, compresslevel=6) as gz:
                shutil.copyfileobj(src, gz, 1 << 20)
        raw.append((layer.name, tpath, diff_id, gzpath))
        log("layer %-7s diff_id %s entries %d" % (layer.name, diff_id[:12], len(layer.items)))

    config = make_config([r[2] for r in raw], [r[0] for r in raw], created)
    cfg_bytes = jbytes(config)

    # ---- OCI image layout
    oci = os.path.join(out, "oci")
    shutil.rmtree(oci, ignore_errors=True)
    blobs = os.path.join(oci, "blobs/sha256")
    cfg_d, cfg_n = write_blob(blobs, cfg_bytes)
    mlayers = []
    for name, tpath, diff_id, gzpath in raw:
        d, n = write_blob(blobs, gzpath)
        mlayers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": "sha256:" + d, "size": n})
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": "sha256:" + cfg_d, "size": cfg_n},
                "layers": mlayers}
    m_d, m_n = write_blob(blobs, jbytes(manifest))
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": "sha256:" + m_d, "size": m_n,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"org.opencontainers.image.ref.name": ref.split(":")[-1],
                                            "io.containerd.image.name": ref}}]}
    with open(os.path.join(oci, "index.json"), "wb") as f:
        f.write(jbytes(index))
    with open(os.path.join(oci, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')

    # ---- docker-save tarball (uncompressed layers, like `docker save`)
    dpath = os.path.join(out, "docker-save.tar")
    with tarfile.open(dpath, "w", format=tarfile.PAX_FORMAT) as tf:
        def addb(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = _epoch()
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(data))
        layer_paths = []
        parent = ""
        for name, tpath, diff_id, gzpath in raw:
            # legacy v1 layer id: chain of diff ids; a stable hash is enough here
            lid = hashlib.sha256((parent + diff_id).encode()).hexdigest()
            v1 = {"id": lid, "created": created}
            if parent:
                v1["parent"] = parent
            if docker_oci:
                lp = "blobs/sha256/" + diff_id
            else:
                lp = lid + "/layer.tar"
                addb(lid + "/VERSION", b"1.0")
                addb(lid + "/json", jbytes(v1))
            ti = tf.gettarinfo(tpath, arcname=lp)
            ti.mtime = _epoch()
            ti.uname = ti.gname = ""
            with open(tpath, "rb") as f:
                tf.addfile(ti, f)
            layer_paths.append(lp)
            parent = lid
        cfg_name = ("blobs/sha256/" + cfg_d) if docker_oci else (cfg_d + ".json")
        addb(cfg_name, cfg_bytes)
        repo, tag = (ref.rsplit(":", 1) + ["latest"])[:2]
        addb("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": [ref],
                                           "Layers": layer_paths}]).encode())
        addb("repositories", json.dumps({repo: {tag: parent}}).encode())
        if docker_oci:
            dman = dict(manifest)
            dman["layers"] = [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                               "digest": "sha256:" + r[2], "size": os.path.getsize(r[1])}
                              for r in raw]
            dm = jbytes(dman)
            dmd = hashlib.sha256(dm).hexdigest()
            addb("blobs/sha256/" + dmd, dm)
            addb("index.json", jbytes({"schemaVersion": 2,
                                       "mediaType": "application/vnd.oci.image.index.v1+json",
                                       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                      "digest": "sha256:" + dmd, "size": len(dm),
                                                      "annotations": {"io.containerd.image.name": ref}}]}))
            addb("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')

    # ---- single-layer Alpine-shaped image
    alp = os.path.join(work, "alpine")
    if os.path.isdir(alp):
        al = Layer("alpine")
        al.add_tree(alp)
        apath = os.path.join(tmp, "alpine.tar")
        with open(apath, "wb") as f:
            al.write_tar(f)
        a_diff = sha256_file(apath)
        agz = apath + ".gz"
        with open(apath, "rb") as s, open(agz, "wb") as d:
            with gzip.GzipFile(filename="", mode="wb", fileobj=d, mtime=0) as gz:
                shutil.copyfileobj(s, gz)
        aoci = os.path.join(out, "alpine-oci")
        shutil.rmtree(aoci, ignore_errors=True)
        ab = os.path.join(aoci, "blobs/sha256")
        acfg = jbytes(make_config([a_diff], ["alpine"], created))
        c_d, c_n = write_blob(ab, acfg)
        l_d, l_n = write_blob(ab, agz)
        am = jbytes({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                "digest": "sha256:" + c_d, "size": c_n},
                     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                 "digest": "sha256:" + l_d, "size": l_n}]})
        am_d, am_n = write_blob(ab, am)
        with open(os.path.join(aoci, "index.json"), "wb") as f:
            f.write(jbytes({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                           "digest": "sha256:" + am_d, "size": am_n,
                                           "annotations": {"org.opencontainers.image.ref.name": "alpine-synthetic"}}]}))
        with open(os.path.join(aoci, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion": "1.0.0"}')

    write_expected(work, out, raw)
    shutil.rmtree(tmp, ignore_errors=True)
    log("wrote", oci, dpath)


def write_expected(work, out, raw):
    exp = {"layers": [{"name": r[0], "diff_id": "sha256:" + r[2]} for r in raw]}
    status = os.path.join(work, "rootfs/var/lib/dpkg/status")
    if os.path.exists(status):
        pk = []
        for para in open(status, encoding="utf-8").read().split("\n\n"):
            f = {}
            for line in para.splitlines():
                if line and not line[0].isspace() and ":" in line:
                    k, v = line.split(":", 1)
                    f[k] = v.strip()
            if f.get("Package") and "installed" in f.get("Status", ""):
                pk.append({"name": f["Package"], "version": f.get("Version"),
                           "source": f.get("Source", f["Package"]).split(" ")[0],
                           "arch": f.get("Architecture")})
        exp["deb"] = sorted(pk, key=lambda x: x["name"])
    exp["python_squashed"] = sorted(p.split("==")[0].lower() for p in PY_PKGS if not p.startswith("click"))
    exp["python_whiteout_removed"] = ["click"]
    lock = os.path.join(work, "node/app/package-lock.json")
    if os.path.exists(lock):
        lk = json.load(open(lock))
        npm = sorted({(k.split("node_modules/")[-1], v.get("version"))
                      for k, v in lk.get("packages", {}).items() if k})
        exp["npm_layer3"] = [{"name": n, "version": v} for n, v in npm]
        exp["npm_whiteout_removed"] = ["minimist"]
    exp["rust_binary"] = {"path": "usr/local/bin/vulnapp", "deps": {"smallvec": "1.6.0", "vulnapp": "0.1.0"}}
    exp["go_binary"] = {"path": "usr/local/bin/goapp", "module": "example.com/goapp"}
    exp["alpine"] = [{"name": n, "version": v, "origin": o} for n, v, o, _, _ in ALPINE_PKGS]
    with open(os.path.join(out, "EXPECTED.json"), "w") as f:
        json.dump(exp, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", required=True)
    p.add_argument("--suite", default="bookworm")
    p.add_argument("--mirror", default="http://deb.debian.org/debian")
    k = sub.add_parser("pack")
    k.add_argument("--work", required=True)
    k.add_argument("--out", required=True)
    k.add_argument("--ref", default="testimg/multi-eco:1")
    k.add_argument("--docker-oci", action="store_true",
                   help="write the Docker>=25 docker-save variant (blobs/ + index.json)")
    a = ap.parse_args()
    if a.cmd == "prepare":
        prepare(a.work, a.suite, a.mirror)
    else:
        pack(a.work, a.out, a.ref, a.docker_oci)


if __name__ == "__main__":
    main()
