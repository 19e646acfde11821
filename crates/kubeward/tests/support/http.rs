//! The pieces of a loopback HTTP/1.1 test server shared by `db_update.rs` and the
//! adversarial downloads tests: each test decides its own answers.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};

/// Listens on 127.0.0.1 (a free port) and hands every connection, in turn, to `handle` on a
/// background thread; returns the base URL (`http://127.0.0.1:PORT`).
pub fn loopback(handle: impl Fn(TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            handle(conn);
        }
    });
    url
}

/// Reads the head of one request: its request line and headers, up to the blank line.
pub fn read_head(s: &TcpStream) -> std::io::Result<String> {
    let mut reader = BufReader::new(s.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    Ok(head)
}

/// The value of header `name` (any case) in a request head, trimmed.
pub fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// `N` of a `Range: bytes=N-` value.
pub fn range_start(value: &str) -> Option<usize> {
    value
        .strip_prefix("bytes=")
        .and_then(|x| x.strip_suffix('-'))
        .and_then(|x| x.parse().ok())
}
