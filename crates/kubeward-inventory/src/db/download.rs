//! `kubeward db update`: the download itself (feature `download`, on by default): resumable,
//! bounded ([`transfer::Limits`]), redirect-checked transfers over ureq on rustls/ring, and the
//! verification before the atomic swap (see the module documentation of [`super`]).

use super::checksum;
use super::*;

/// Validators a part file belongs to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct PartMeta {
    url: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    goog_hash: Option<String>,
    #[serde(default)]
    total: Option<u64>,
}

/// Downloads (or resumes, or confirms up to date) the export of each ecosystem. Each
/// ecosystem succeeds or fails on its own; the manifest is updated after every success.
/// The folder is locked for the whole run ([`lock`]): when another update holds it past
/// [`UpdateOptions::lock_timeout`], every ecosystem fails with [`DbError::Locked`].
pub fn update(
    opts: &UpdateOptions,
    ecosystems: &[String],
    on_event: &mut dyn FnMut(Event<'_>),
) -> Vec<(String, Result<Outcome, DbError>)> {
    let mut results = Vec::new();
    if let Err(e) = fs::create_dir_all(&opts.dir) {
        let msg = e.to_string();
        return ecosystems
            .iter()
            .map(|eco| {
                let source = io::Error::new(e.kind(), msg.clone());
                (eco.clone(), Err(io_err(&opts.dir)(source)))
            })
            .collect();
    }
    let _lock = match lock(&opts.dir, opts.lock_timeout) {
        Ok(l) => l,
        Err(e) => {
            return ecosystems
                .iter()
                .map(|eco| {
                    let e = match &e {
                        DbError::Locked { path, waited_secs } => DbError::Locked {
                            path: path.clone(),
                            waited_secs: *waited_secs,
                        },
                        DbError::Io { path, source } => DbError::Io {
                            path: path.clone(),
                            source: io::Error::new(source.kind(), source.to_string()),
                        },
                        other => DbError::Manifest {
                            path: opts.dir.join(LOCK_FILE).display().to_string(),
                            message: other.to_string(),
                        },
                    };
                    (eco.clone(), Err(e))
                })
                .collect();
        }
    };
    let mut manifest = match read_manifest(&opts.dir) {
        Ok(m) => m.unwrap_or(Manifest {
            format: MANIFEST_FORMAT,
            ecosystems: BTreeMap::new(),
        }),
        Err(e) => {
            let msg = e.to_string();
            return ecosystems
                .iter()
                .map(|eco| {
                    (
                        eco.clone(),
                        Err(DbError::Manifest {
                            path: opts.dir.join(MANIFEST).display().to_string(),
                            message: msg.clone(),
                        }),
                    )
                })
                .collect();
        }
    };
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_recv_response(Some(opts.read_timeout))
        .timeout_recv_body(None)
        // a read that waits a whole rate window has received nothing in it
        .timeout_per_read(Some(opts.limits.window).filter(|_| opts.limits.min_rate > 0))
        // redirects are followed by `get` after `transfer::check_redirect`
        .max_redirects(0)
        .user_agent(concat!("kubeward/", env!("CARGO_PKG_VERSION")))
        .proxy(None);
    if let Some(p) = &opts.proxy {
        match ureq::Proxy::new(p) {
            Ok(p) => config = config.proxy(Some(p)),
            Err(e) => {
                return ecosystems
                    .iter()
                    .map(|eco| {
                        (
                            eco.clone(),
                            Err(DbError::Http {
                                url: p.clone(),
                                message: format!("invalid proxy: {e}"),
                            }),
                        )
                    })
                    .collect()
            }
        }
    }
    let agent: ureq::Agent = config.build().into();
    for eco in ecosystems {
        let r = check_ecosystem(eco)
            .and_then(|_| update_one(&agent, opts, eco, manifest.ecosystems.get(eco), on_event));
        let r = r.and_then(|outcome| {
            if let Outcome::Updated(entry) = &outcome {
                manifest.ecosystems.insert(eco.clone(), entry.clone());
                write_manifest(&opts.dir, &manifest)?;
            }
            Ok(outcome)
        });
        results.push((eco.clone(), r));
    }
    results
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(",")
        .into()
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// `x-goog-hash: crc32c=...,md5=...` → (crc32c, md5), base64 values as sent.
fn goog_hashes(h: Option<&str>) -> (Option<String>, Option<String>) {
    let (mut crc, mut md5) = (None, None);
    for part in h.unwrap_or("").split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            match k.trim() {
                "crc32c" => crc = Some(v.trim().to_string()),
                "md5" => md5 = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    (crc, md5)
}

fn update_one(
    agent: &ureq::Agent,
    opts: &UpdateOptions,
    eco: &str,
    current: Option<&Entry>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Outcome, DbError> {
    let url = export_url(&opts.base_url, eco);
    let folder = folder_of(eco);
    let eco_dir = opts.dir.join(&folder);
    fs::create_dir_all(&eco_dir).map_err(io_err(&eco_dir))?;
    let final_path = eco_dir.join("all.zip");
    let part_path = eco_dir.join("all.zip.part");
    let meta_path = eco_dir.join("all.zip.part.json");
    let current = current.filter(|c| c.url == url && final_path.is_file());

    // a part from an earlier run, with the validators it belongs to
    let mut meta: Option<PartMeta> =
        kubeward_io::read_capped(&meta_path, kubeward_io::limits::METADATA)
            .ok()
            .and_then(|b| serde_json::from_slice::<PartMeta>(&b).ok())
            .filter(|m| m.url == url && (m.etag.is_some() || m.last_modified.is_some()));
    let mut offset = match (&meta, fs::metadata(&part_path)) {
        (Some(_), Ok(md)) if md.is_file() => md.len(),
        _ => 0,
    };
    if offset == 0 {
        meta = None;
        let _ = fs::remove_file(&part_path);
        let _ = fs::remove_file(&meta_path);
    }

    let mut meter = transfer::Meter::new(opts.limits);
    let mut attempts = 0;
    let (mut resp, status) = loop {
        attempts += 1;
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let (Some(m), true) = (&meta, offset > 0) {
            headers.push(("Range", format!("bytes={offset}-")));
            if let Some(v) = m.etag.as_ref().or(m.last_modified.as_ref()) {
                headers.push(("If-Range", v.clone()));
            }
        } else if let Some(c) = current {
            if let Some(e) = &c.etag {
                headers.push(("If-None-Match", e.clone()));
            } else if let Some(lm) = &c.last_modified {
                headers.push(("If-Modified-Since", lm.clone()));
            }
        }
        let resp = get(agent, &url, &headers, &meter)?;
        let status = resp.status().as_u16();
        if status == 416 && attempts == 1 {
            // the part does not fit the object any more: start over
            offset = 0;
            meta = None;
            let _ = fs::remove_file(&part_path);
            let _ = fs::remove_file(&meta_path);
            continue;
        }
        break (resp, status);
    };
    if status == 304 {
        if let Some(c) = current {
            return Ok(Outcome::UpToDate(c.clone()));
        }
    }
    let etag = nonempty(header(&resp, "etag"));
    let last_modified = nonempty(header(&resp, "last-modified"));
    let goog_hash = nonempty(header(&resp, "x-goog-hash"));
    let length: Option<u64> = header(&resp, "content-length").and_then(|v| v.parse().ok());
    let mut file = match status {
        200 => {
            offset = 0;
            let m = PartMeta {
                url: url.clone(),
                etag: etag.clone(),
                last_modified: last_modified.clone(),
                goog_hash: goog_hash.clone(),
                total: length,
            };
            let bytes = serde_json::to_vec(&m).unwrap_or_default();
            fs::write(&meta_path, bytes).map_err(io_err(&meta_path))?;
            meta = Some(m);
            File::create(&part_path).map_err(io_err(&part_path))?
        }
        206 => {
            let range = header(&resp, "content-range").unwrap_or_default();
            let expect = format!("bytes {offset}-");
            if !range.starts_with(&expect) {
                let _ = fs::remove_file(&part_path);
                let _ = fs::remove_file(&meta_path);
                return Err(DbError::Interrupted {
                    url,
                    received: 0,
                    message: format!("server sent range {range:?} for a request from {offset}"),
                });
            }
            if let Some(m) = meta.as_mut() {
                if goog_hash.is_some() {
                    m.goog_hash = goog_hash.clone();
                }
                if let Some(total) = range.rsplit('/').next().and_then(|t| t.parse().ok()) {
                    m.total = Some(total);
                }
            }
            let mut f = OpenOptions::new()
                .append(true)
                .open(&part_path)
                .map_err(io_err(&part_path))?;
            f.seek(io::SeekFrom::End(0)).map_err(io_err(&part_path))?;
            f
        }
        _ => {
            return Err(DbError::Http {
                url,
                message: format!("HTTP {status}"),
            })
        }
    };
    let meta = meta.unwrap_or_default();
    let total = meta.total.or(length.map(|l| l + offset));
    if total.is_some_and(|t| t > opts.max_bytes) {
        return Err(DbError::Corrupt {
            url,
            message: format!(
                "export is {} bytes, above the limit of {}",
                total.unwrap_or(0),
                opts.max_bytes
            ),
        });
    }
    on_event(Event::Start {
        ecosystem: eco,
        resumed_from: offset,
        total,
    });

    // transfer, within the deadline and above the minimum rate
    let mut done = offset;
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_report = done;
    meter.body_started();
    loop {
        let read = match reader.read(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Ok(n) => meter.add(n).map(|_| n).map_err(|s| s.to_string()),
            Err(e) => Err(meter
                .explain(is_timeout(&e))
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string())),
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(message) => {
                let _ = file.sync_all();
                return Err(DbError::Interrupted {
                    url,
                    received: done,
                    message,
                });
            }
        };
        file.write_all(&buf[..n]).map_err(io_err(&part_path))?;
        done += n as u64;
        if done > opts.max_bytes {
            drop(file);
            let _ = fs::remove_file(&part_path);
            let _ = fs::remove_file(&meta_path);
            return Err(DbError::Corrupt {
                url,
                message: format!("export exceeds the limit of {} bytes", opts.max_bytes),
            });
        }
        if done - last_report >= 256 * 1024 {
            on_event(Event::Progress {
                ecosystem: eco,
                done,
            });
            last_report = done;
        }
    }
    file.sync_all().map_err(io_err(&part_path))?;
    drop(file);
    on_event(Event::Progress {
        ecosystem: eco,
        done,
    });
    if let Some(t) = total {
        if done < t {
            return Err(DbError::Interrupted {
                url,
                received: done,
                message: format!("connection closed at {done} of {t} bytes"),
            });
        }
    }

    // verify, then swap
    on_event(Event::Verifying { ecosystem: eco });
    let reject = |message: String| {
        let _ = fs::remove_file(&part_path);
        let _ = fs::remove_file(&meta_path);
        DbError::Corrupt {
            url: url.clone(),
            message,
        }
    };
    if let Some(t) = total {
        if done != t {
            return Err(reject(format!("received {done} bytes, expected {t}")));
        }
    }
    let (sha256, crc) = hash_file(&part_path).map_err(io_err(&part_path))?;
    let (want_crc, md5) = goog_hashes(meta.goog_hash.as_deref());
    if let Some(w) = &want_crc {
        match checksum::base64_decode(w) {
            Some(b) if b.len() == 4 => {
                let expect = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                if expect != crc {
                    return Err(reject(format!(
                        "CRC32C {crc:08x} does not match the server's {expect:08x}"
                    )));
                }
            }
            _ => return Err(reject(format!("unreadable x-goog-hash crc32c {w:?}"))),
        }
    }
    let records = match verify_zip(&part_path) {
        Ok(0) => return Err(reject("the zip holds no OSV JSON records".into())),
        Ok(n) => n,
        Err(e) => return Err(reject(e)),
    };
    fs::rename(&part_path, &final_path).map_err(io_err(&final_path))?;
    let _ = fs::remove_file(&meta_path);
    let updated_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(Outcome::Updated(Entry {
        file: format!("{folder}/all.zip"),
        url,
        size: done,
        sha256,
        records,
        etag: meta.etag,
        last_modified: meta.last_modified,
        crc32c: want_crc,
        md5,
        updated_unix,
    }))
}

/// SHA-256 (hex) and CRC32C of a file.
fn hash_file(path: &Path) -> io::Result<(String, u32)> {
    let mut f = File::open(path)?;
    let mut sha = Sha256::new();
    let mut crc = checksum::Crc32c::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        crc.update(&buf[..n]);
    }
    let hex: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, crc.finish()))
}

/// Checks the zip against the decompression budget, reads every entry to its end (the zip
/// reader checks each entry's CRC-32 there) and parses every `*.json` entry as OSV records.
/// Returns the number of records; `Err` (with the reason, ready to show) when the layout is
/// over budget, an entry is damaged, or any JSON entry is not OSV records.
fn verify_zip(path: &Path) -> Result<usize, String> {
    use kubeward_vuln::osv::db::{
        check_zip, parse_records, read_entry, ZipBudget, MAX_RECORD_BYTES,
    };
    let invalid = |e: &dyn std::fmt::Display| format!("not a valid zip: {e}");
    let f = File::open(path).map_err(|e| invalid(&e))?;
    let len = f.metadata().map_err(|e| invalid(&e))?.len();
    let mut zip = zip::ZipArchive::new(io::BufReader::new(f)).map_err(|e| invalid(&e))?;
    check_zip(&mut zip, len, &ZipBudget::default())?;
    let mut records = 0;
    let (mut json_entries, mut bad) = (0usize, Vec::new());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| invalid(&e))?;
        let name = entry.name().to_string();
        let is_json = !entry.is_dir() && name.to_ascii_lowercase().ends_with(".json");
        let limit = if is_json { MAX_RECORD_BYTES } else { u64::MAX };
        let data = read_entry(&mut entry, limit).map_err(|e| invalid(&format!("{name}: {e}")))?;
        if !is_json {
            continue;
        }
        json_entries += 1;
        match parse_records(&data, &name) {
            Ok(r) if r.is_empty() => bad.push(format!("{name}: holds no record")),
            Ok(r) => records += r.len(),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if let Some(first) = bad.first() {
        return Err(format!(
            "{} of {json_entries} JSON entries are not OSV records (first: {first})",
            bad.len()
        ));
    }
    Ok(records)
}

/// True when a read failed by a timeout (ureq wraps its own timeouts in `io::Error`).
fn is_timeout(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|x| x.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}

/// GET `url` with `headers`, following redirects that [`transfer::check_redirect`] accepts
/// (at most [`transfer::MAX_REDIRECTS`]), within the meter's deadline.
fn get(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, String)],
    meter: &transfer::Meter,
) -> Result<ureq::http::Response<ureq::Body>, DbError> {
    let http_err = |message: String| DbError::Http {
        url: url.to_string(),
        message,
    };
    let mut at = url.to_string();
    for _ in 0..=transfer::MAX_REDIRECTS {
        let remaining = meter.remaining().map_err(|s| http_err(s.to_string()))?;
        let mut req = agent
            .get(&at)
            .config()
            .timeout_global(Some(remaining))
            .build();
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let resp = req.call().map_err(|e| match e {
            ureq::Error::Timeout(_) if meter.near_deadline() => {
                http_err(transfer::Stopped::Deadline(meter.limits().deadline).to_string())
            }
            e => http_err(e.to_string()),
        })?;
        if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
            return Ok(resp);
        }
        let Some(location) = header(&resp, "location").filter(|l| !l.is_empty()) else {
            return Err(http_err(format!(
                "HTTP {} without a Location",
                resp.status().as_u16()
            )));
        };
        let next = transfer::resolve_location(&at, &location);
        transfer::check_redirect(url, &at, &next)
            .map_err(|why| http_err(format!("refused redirect to {next}: {why}")))?;
        at = next;
    }
    Err(http_err(format!(
        "more than {} redirects",
        transfer::MAX_REDIRECTS
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_hash_header() {
        assert_eq!(
            goog_hashes(Some("crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==")),
            (
                Some("n03x6A==".to_string()),
                Some("Ojk9c3dhfxgoKVVHYwFbHQ==".to_string())
            )
        );
    }
}
