//! Bounds shared by every download (the OSV exports of `db update`, registry pulls): a total
//! deadline, a minimum transfer rate over a sliding window, and the redirect rule.
//!
//! The redirect rule: a redirect is followed only to a host of the same class as the host the
//! download started from (loopback to loopback, elsewhere to elsewhere), never from HTTPS to
//! plain HTTP, and only to `http`/`https` URLs. It is checked on the `Location` text before
//! any connection is made, so a refused target is never looked up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Deadline and minimum rate of one transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Total time from the first request to the last byte, redirects included.
    pub deadline: Duration,
    /// Bytes per second the body must average over `window` (0: no minimum).
    pub min_rate: u64,
    /// The window of `min_rate`; also the longest wait for any single read.
    pub window: Duration,
}

impl Default for Limits {
    /// 30 minutes, 1 KiB/s over 60 s.
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(30 * 60),
            min_rate: 1024,
            window: Duration::from_secs(60),
        }
    }
}

/// Why a transfer was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// The deadline passed.
    #[error("no complete download within the deadline of {} s (--timeout)", .0.as_secs_f64())]
    Deadline(Duration),
    /// Fewer bytes than `min_rate * window` arrived in the last window.
    #[error("transfer too slow: {received} bytes in the last {} s, below the minimum of {min_rate} bytes/s (--min-rate, --rate-window)", .window.as_secs_f64())]
    TooSlow {
        /// Bytes in the window.
        received: u64,
        /// The window.
        window: Duration,
        /// The minimum.
        min_rate: u64,
    },
}

/// The clock of one transfer: call [`Meter::body_started`] when the response headers are in,
/// then [`Meter::add`] after every read.
#[derive(Debug)]
pub struct Meter {
    limits: Limits,
    start: Instant,
    body_start: Option<Instant>,
    total: u64,
    /// (time, bytes received up to then), at most one sample per 100 ms.
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    /// Starts the deadline now.
    pub fn new(limits: Limits) -> Meter {
        Meter {
            limits,
            start: Instant::now(),
            body_start: None,
            total: 0,
            samples: VecDeque::new(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Time left before the deadline; `Err` when it has passed.
    pub fn remaining(&self) -> Result<Duration, Stopped> {
        self.limits
            .deadline
            .checked_sub(self.start.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or(Stopped::Deadline(self.limits.deadline))
    }

    /// The body starts now: the rate is measured from here.
    pub fn body_started(&mut self) {
        let now = Instant::now();
        self.body_start = Some(now);
        self.samples.clear();
        self.samples.push_back((now, self.total));
    }

    /// Records `n` bytes received and checks the deadline and the rate.
    pub fn add(&mut self, n: usize) -> Result<(), Stopped> {
        self.total += n as u64;
        let now = Instant::now();
        // the first sample (the body's start) is never merged into
        let merge = self.samples.len() > 1;
        match self.samples.back_mut() {
            Some((t, b)) if merge && now.duration_since(*t) < Duration::from_millis(100) => {
                *b = self.total
            }
            _ => self.samples.push_back((now, self.total)),
        }
        self.check_at(now)
    }

    /// Checks the deadline and the rate without new bytes (after a read that timed out).
    pub fn check(&mut self) -> Result<(), Stopped> {
        self.check_at(Instant::now())
    }

    /// True when the deadline has passed or is less than a quarter second away (a timeout
    /// that fires now is the deadline's).
    pub fn near_deadline(&self) -> bool {
        self.remaining()
            .map_or(true, |r| r < Duration::from_millis(250))
    }

    /// The error for a read that failed (`timed_out`: by a timeout): the deadline or the rate
    /// when one of them explains it (a read timeout before the deadline is a rate window
    /// passing without a byte), else `None`.
    pub fn explain(&mut self, timed_out: bool) -> Option<Stopped> {
        if timed_out && !self.near_deadline() {
            let received = self.in_window(Instant::now());
            return Some(Stopped::TooSlow {
                received,
                window: self.limits.window,
                min_rate: self.limits.min_rate,
            });
        }
        if self.near_deadline() {
            return Some(Stopped::Deadline(self.limits.deadline));
        }
        None
    }

    fn in_window(&mut self, now: Instant) -> u64 {
        let w = self.limits.window;
        // keep one sample at or before the window's start
        while self.samples.len() > 1 && now.duration_since(self.samples[1].0) >= w {
            self.samples.pop_front();
        }
        self.total - self.samples.front().map(|s| s.1).unwrap_or(0)
    }

    fn check_at(&mut self, now: Instant) -> Result<(), Stopped> {
        self.remaining()?;
        let (Some(body), true) = (self.body_start, self.limits.min_rate > 0) else {
            return Ok(());
        };
        let w = self.limits.window;
        if now.duration_since(body) < w {
            return Ok(());
        }
        let received = self.in_window(now);
        let need = (self.limits.min_rate as f64 * w.as_secs_f64()) as u64;
        if received < need {
            return Err(Stopped::TooSlow {
                received,
                window: w,
                min_rate: self.limits.min_rate,
            });
        }
        Ok(())
    }
}

/// Scheme, host (lowercase, without IPv6 brackets) and the rest of an absolute URL.
fn split_url(url: &str) -> Option<(String, String, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let host = if let Some(h) = hostport.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return None;
    }
    Some((
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        &rest[end..],
    ))
}

/// True when two absolute URLs have the same scheme, host and port (credentials for one are
/// sent only to it).
pub fn same_origin(a: &str, b: &str) -> bool {
    let origin = |u: &str| {
        let (scheme, rest) = u.split_once("://")?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        Some((
            scheme.to_ascii_lowercase(),
            rest[..end].to_ascii_lowercase(),
        ))
    };
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// True for `localhost` (and names under `.localhost`), `127.0.0.0/8` and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let h = h.trim_end_matches('.').to_ascii_lowercase();
    if h == "localhost" || h.ends_with(".localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// The URL a `Location` header names, relative to `base`.
pub fn resolve_location(base: &str, location: &str) -> String {
    let location = location.trim();
    if location.contains("://") {
        return location.to_string();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return location.to_string();
    };
    if let Some(l) = location.strip_prefix("//") {
        return format!("{scheme}://{l}");
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = rest[end..].split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{scheme}://{authority}{dir}{location}")
}

/// Checks a redirect from `from` to `to` (absolute) for a download that started at
/// `origin`; `Err` says why it is refused.
pub fn check_redirect(origin: &str, from: &str, to: &str) -> Result<(), String> {
    let Some((to_scheme, to_host, _)) = split_url(to) else {
        return Err("not an absolute URL".into());
    };
    if to_scheme != "http" && to_scheme != "https" {
        return Err(format!("scheme {to_scheme:?} is not HTTP"));
    }
    let from_scheme = split_url(from).map(|s| s.0).unwrap_or_default();
    if from_scheme == "https" && to_scheme == "http" {
        return Err("a redirect from HTTPS never goes to plain HTTP".into());
    }
    let origin_host = split_url(origin).map(|s| s.1).unwrap_or_default();
    match (is_loopback_host(&origin_host), is_loopback_host(&to_host)) {
        (true, false) => Err(format!(
            "the download started on loopback host {origin_host}; redirects may only go to loopback hosts"
        )),
        (false, true) => Err(format!(
            "the download started on {origin_host}; redirects may not go to loopback hosts"
        )),
        _ => Ok(()),
    }
}

/// Most redirects followed for one download.
pub const MAX_REDIRECTS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rule() {
        let o = "http://127.0.0.1:8080/PyPI/all.zip";
        assert!(check_redirect(o, o, "http://127.0.0.1:9/x").is_ok());
        assert!(check_redirect(o, o, "http://[::1]:9/x").is_ok());
        assert!(check_redirect(o, o, "http://localhost/x").is_ok());
        assert!(check_redirect(o, o, "http://kubeward-test.invalid/x").is_err());
        assert!(check_redirect(o, o, "http://10.0.0.1/x").is_err());
        assert!(check_redirect(o, o, "http://user@kubeward-test.invalid/x").is_err());
        assert!(check_redirect(o, o, "file:///etc/passwd").is_err());
        let s = "https://osv.example/PyPI/all.zip";
        assert!(check_redirect(s, s, "https://cdn.example/x").is_ok());
        assert!(check_redirect(s, s, "http://cdn.example/x").is_err());
        assert!(check_redirect(s, s, "https://127.0.0.1/x").is_err());
        assert!(check_redirect(s, s, "https://localhost./x").is_err());
    }

    #[test]
    fn locations() {
        let b = "http://127.0.0.1:1/a/b/all.zip?x=1";
        assert_eq!(resolve_location(b, "/m/z"), "http://127.0.0.1:1/m/z");
        assert_eq!(resolve_location(b, "z"), "http://127.0.0.1:1/a/b/z");
        assert_eq!(resolve_location(b, "//h.invalid/z"), "http://h.invalid/z");
        assert_eq!(resolve_location(b, "https://h/z"), "https://h/z");
    }

    #[test]
    fn meter() {
        let mut m = Meter::new(Limits {
            deadline: Duration::from_secs(60),
            min_rate: 10,
            window: Duration::from_millis(200),
        });
        m.body_started();
        assert!(m.add(5).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(matches!(m.add(1), Err(Stopped::TooSlow { .. })));
        let m = Meter::new(Limits {
            deadline: Duration::from_millis(1),
            ..Limits::default()
        });
        std::thread::sleep(Duration::from_millis(5));
        assert!(m.remaining().is_err());
    }
}
