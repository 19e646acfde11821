//! Content digests and the one verified blob reader every image source goes through.
//!
//! A blob addressed by a digest (an OCI descriptor, a docker-save `blobs/sha256/<hex>` or
//! `<hex>.json` name, a config's `rootfs.diff_ids` entry) is read through a `Verified`
//! reader: it hashes the bytes as they stream by, counts them, and at the end of the stream
//! fails the read when the content does not hash to the digest or its size is not the
//! descriptor's. Callers read every blob to its end (layers are drained after their tar ends),
//! and drop whatever they built from a blob whose read failed, so altered content is never used.
//!
//! Only `sha256` and `sha512` with lowercase hex of the right length are accepted (the OCI
//! image spec's registered algorithms); anything else is an error, never a skipped check.

use super::Error;
use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;
use std::io::{self, Read};

/// A digest algorithm kubeward can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA-256 (64 hex digits).
    Sha256,
    /// SHA-512 (128 hex digits).
    Sha512,
}

impl Algorithm {
    /// The algorithm's name in a digest string.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A validated content digest: `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    alg: Algorithm,
    text: String,
}

impl Digest {
    /// Parses a digest; any other algorithm, or a malformed one, is an error.
    pub fn parse(s: &str) -> Result<Digest, Error> {
        let Some((alg, hex)) = s.split_once(':') else {
            return Err(Error::Format(format!(
                "malformed digest {s:?}: expected algorithm:hex"
            )));
        };
        let alg = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => {
                return Err(Error::Format(format!(
                    "unsupported digest algorithm in {s:?}: only sha256 and sha512 can be verified"
                )))
            }
        };
        if hex.len() != alg.hex_len()
            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(Error::Format(format!(
                "malformed digest {s:?}: {} needs {} lowercase hex digits",
                alg.as_str(),
                alg.hex_len()
            )));
        }
        Ok(Digest {
            alg,
            text: s.to_string(),
        })
    }

    /// The SHA-256 digest of `hex` (a docker-save file name), when it is one.
    pub fn sha256_hex(hex: &str) -> Option<Digest> {
        Digest::parse(&format!("sha256:{hex}")).ok()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The digest as written: `sha256:…`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        &self.text[self.alg.as_str().len() + 1..]
    }

    /// Where an OCI image layout keeps the blob: `blobs/<alg>/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.alg.as_str(), self.hex())
    }

    /// The digest of `data` with `alg`.
    pub fn of(alg: Algorithm, data: &[u8]) -> String {
        let mut h = Hasher::new(alg);
        h.update(data);
        h.finish()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn new(alg: Algorithm) -> Hasher {
        match alg {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> String {
        let (alg, bytes) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        let mut s = String::with_capacity(alg.len() + 1 + bytes.len() * 2);
        s.push_str(alg);
        s.push(':');
        for b in bytes {
            use fmt::Write;
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

/// What a blob must be: its digest and, when the descriptor gives it, its size.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    /// Names the blob in errors (`layer 2 blobs/sha256/…`, `config 1a2b….json`).
    pub label: String,
    /// The digest the content must hash to; `None` only computes one (see
    /// [`Verified::digest`]).
    pub digest: Option<Digest>,
    /// The size in bytes the descriptor gives.
    pub size: Option<u64>,
    /// What is hashed, for messages: "content" or "uncompressed content".
    pub what: &'static str,
}

/// The error for a blob whose size is `actual` instead of the descriptor's.
pub(crate) fn size_error(e: &Expect, actual: String) -> Error {
    Error::Size {
        blob: e.label.clone(),
        digest: e
            .digest
            .as_ref()
            .map_or_else(String::new, |d| format!(" ({d})")),
        expected: e.size.unwrap_or(0),
        actual,
    }
}

/// Why a verified read failed; travels inside an [`io::Error`] through decoders and tar
/// readers, and becomes an [`Error`] with [`from_io`].
#[derive(Debug)]
struct Mismatch(Error);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Mismatch {}

/// The verification error an I/O error carries, if any.
pub(crate) fn from_io(e: io::Error) -> Result<Error, io::Error> {
    if e.get_ref().is_some_and(|inner| inner.is::<Mismatch>()) {
        let inner = e.into_inner().expect("checked above");
        match inner.downcast::<Mismatch>() {
            Ok(m) => Ok(m.0),
            Err(other) => Err(io::Error::new(io::ErrorKind::InvalidData, other)),
        }
    } else {
        Err(e)
    }
}

/// The reader: hashes and counts what passes through; at the end of the stream, a digest or
/// size that does not match is an error (and every later read repeats it). Reading more bytes
/// than the descriptor's size fails at once.
pub(crate) struct Verified<R> {
    inner: R,
    hasher: Option<Hasher>,
    expect: Expect,
    count: u64,
    /// The content's digest once the end was reached.
    actual: Option<String>,
    failed: bool,
}

impl<R: Read> Verified<R> {
    /// Wraps `inner`. Without an expected digest the content's SHA-256 is computed.
    pub fn new(inner: R, expect: Expect) -> Verified<R> {
        let alg = expect
            .digest
            .as_ref()
            .map_or(Algorithm::Sha256, Digest::algorithm);
        Verified {
            inner,
            hasher: Some(Hasher::new(alg)),
            expect,
            count: 0,
            actual: None,
            failed: false,
        }
    }

    /// The digest of the content, once it was read to its end and verified.
    pub fn digest(&self) -> Option<&str> {
        self.actual.as_deref()
    }

    fn error(&self, actual: Option<&str>) -> Error {
        let e = &self.expect;
        match (actual, &e.digest) {
            (Some(actual), Some(expected)) if actual != expected.as_str() => Error::Digest {
                blob: e.label.clone(),
                what: e.what,
                expected: expected.to_string(),
                actual: actual.to_string(),
            },
            _ => size_error(
                e,
                if actual.is_some() {
                    self.count.to_string()
                } else {
                    format!("more than {}", e.size.unwrap_or(0))
                },
            ),
        }
    }

    fn fail(&mut self, actual: Option<&str>) -> io::Error {
        self.failed = true;
        io::Error::new(io::ErrorKind::InvalidData, Mismatch(self.error(actual)))
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(self.fail(self.actual.clone().as_deref()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(hasher) = self.hasher.as_mut() else {
            return Ok(0); // verified end of stream
        };
        let n = self.inner.read(buf)?;
        if n > 0 {
            hasher.update(&buf[..n]);
            self.count += n as u64;
            if self.expect.size.is_some_and(|s| self.count > s) {
                self.hasher = None;
                return Err(self.fail(None));
            }
            return Ok(n);
        }
        let actual = self.hasher.take().expect("present above").finish();
        let digest_ok = self
            .expect
            .digest
            .as_ref()
            .is_none_or(|d| d.as_str() == actual);
        let size_ok = self.expect.size.is_none_or(|s| s == self.count);
        self.actual = Some(actual);
        if digest_ok && size_ok {
            Ok(0)
        } else {
            Err(self.fail(self.actual.clone().as_deref()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(digest: Option<&str>, size: Option<u64>) -> Expect {
        Expect {
            label: "blob".into(),
            digest: digest.map(|d| Digest::parse(d).unwrap()),
            size,
            what: "content",
        }
    }

    fn read_all(data: &[u8], e: Expect) -> Result<Vec<u8>, Error> {
        let mut v = Verified::new(data, e);
        let mut out = Vec::new();
        v.read_to_end(&mut out).map_err(|e| from_io(e).unwrap())?;
        Ok(out)
    }

    #[test]
    fn parses_only_verifiable_digests() {
        let h64 = "a".repeat(64);
        assert!(Digest::parse(&format!("sha256:{h64}")).is_ok());
        assert!(Digest::parse(&format!("sha512:{}", "0".repeat(128))).is_ok());
        for bad in [
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha512:{h64}"),
            format!("md5:{}", "a".repeat(32)),
            format!("sha384:{}", "a".repeat(96)),
            "sha256".into(),
            "sha256:../../etc".into(),
            String::new(),
        ] {
            assert!(Digest::parse(&bad).is_err(), "{bad}");
        }
        let d = Digest::parse(&format!("sha256:{h64}")).unwrap();
        assert_eq!(d.blob_path(), format!("blobs/sha256/{h64}"));
        assert_eq!(d.hex(), h64);
    }

    #[test]
    fn verifies_sha256_and_sha512() {
        let data = b"hello blob";
        for alg in [Algorithm::Sha256, Algorithm::Sha512] {
            let good = Digest::of(alg, data);
            assert_eq!(read_all(data, expect(Some(&good), Some(10))).unwrap(), data);
            let other = Digest::of(alg, b"hello blub");
            let e = read_all(data, expect(Some(&other), None)).unwrap_err();
            assert!(matches!(e, Error::Digest { .. }), "{e}");
            let msg = e.to_string();
            assert!(msg.contains(&good) && msg.contains(&other), "{msg}");
        }
        // no expected digest: the SHA-256 is computed
        let mut v = Verified::new(&data[..], expect(None, None));
        std::io::copy(&mut v, &mut std::io::sink()).unwrap();
        assert_eq!(
            v.digest(),
            Some(Digest::of(Algorithm::Sha256, data).as_str())
        );
    }

    #[test]
    fn sizes_are_checked() {
        let data = b"0123456789";
        let d = Digest::of(Algorithm::Sha256, data);
        let e = read_all(data, expect(Some(&d), Some(11))).unwrap_err();
        assert!(matches!(e, Error::Size { .. }), "{e}");
        assert!(e.to_string().contains("10 bytes"), "{e}");
        let e = read_all(data, expect(Some(&d), Some(4))).unwrap_err();
        assert!(e.to_string().contains("more than 4 bytes"), "{e}");
    }
}
