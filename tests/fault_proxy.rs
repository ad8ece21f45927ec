//! A fault-injecting HTTP proxy on loopback in front of moto: every request is forwarded to the
//! real server unless a rule says to break it — an HTTP 500 or 503, the service's own
//! throttling error, a connection closed without an answer, a body cut short, or an answer
//! that never comes. Rules match `service Operation` (as moto's recorder names them) and fire a
//! given number of times. Stops with its owner.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    Status500,
    Status503,
    Throttle,
    Reset,
    CutShort,
    Hang,
    /// Forwards, then replaces the first `from` in the answer's body with `to`, for each pair
    /// (the length header follows): a well-formed answer that says something broken.
    Rewrite(&'static [(&'static str, &'static str)]),
    /// Answers `200 OK` with this JSON body without asking moto.
    RespondJson(&'static str),
    /// Forwards, then sends the answer's body one byte every 2 s.
    Trickle,
    /// Answers `200 OK` with a chunked body that never ends (1 MiB chunks, up to 1 GiB).
    Endless,
    /// Answers `200 OK` saying `Content-Length: 1610612736` (1.5 GiB), then sends a little.
    Huge,
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// A part of `service Operation`, e.g. `kms GetKeyPolicy`.
    pub op: &'static str,
    pub fault: Fault,
    /// How many matching requests it breaks (`usize::MAX`: all).
    pub times: usize,
}

pub struct FaultProxy {
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    fired: Arc<std::sync::atomic::AtomicUsize>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// `service Operation`, as the SDK's signature scope and protocol name them.
    fn operation(&self) -> String {
        let service = self
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("?");
        if let Some(t) = self.header("x-amz-target") {
            return format!("{service} {}", t.rsplit('.').next().unwrap_or(t));
        }
        let body = String::from_utf8_lossy(&self.body);
        let line = self.head.lines().next().unwrap_or_default();
        let action = body
            .split('&')
            .chain(line.split(['?', '&', ' ']))
            .find_map(|kv| kv.strip_prefix("Action="));
        match action {
            Some(a) => format!("{service} {a}"),
            None => format!("{service} {line}"),
        }
    }
}

fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut req = Request {
        head,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    s.read_exact(&mut req.body).ok()?;
    Some(req)
}

/// The request with `Connection: close`, so each exchange is one connection.
fn closing(req: &Request) -> Vec<u8> {
    let mut out = String::new();
    for l in req.head.trim_end().lines() {
        if !l.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&req.body);
    bytes
}

fn forward(upstream: &str, req: &Request) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.write_all(&closing(req)).ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).ok()?;
    Some(resp)
}

fn status(code: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Each service's own throttling error.
fn throttle(op: &str) -> Vec<u8> {
    if op.starts_with("kms ") {
        return status(
            "400 Bad Request",
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        );
    }
    if op.starts_with("s3 ") {
        return status(
            "503 Slow Down",
            "application/xml",
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>",
        );
    }
    let xmlns = if op.starts_with("route53 ") {
        r#" xmlns="https://route53.amazonaws.com/doc/2013-04-01/""#
    } else {
        ""
    };
    status(
        "400 Bad Request",
        "text/xml",
        &format!(
            "<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        ),
    )
}

fn handle(
    mut client: TcpStream,
    upstream: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    stop: Arc<AtomicBool>,
    fired: Arc<std::sync::atomic::AtomicUsize>,
) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(req) = read_request(&mut client) else {
        return;
    };
    let op = req.operation();
    let fault = {
        let mut rules = rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|r| r.times > 0 && op.contains(r.op))
            .map(|r| {
                r.times = r.times.saturating_sub(1);
                r.fault
            })
    };
    if fault.is_some() {
        fired.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(Fault::Trickle) => {
            if let Some(full) = forward(&upstream, &req) {
                let split = full
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(full.len(), |i| i + 4);
                let _ = client.write_all(&full[..split]);
                for b in &full[split..] {
                    if stop.load(Ordering::SeqCst) || client.write_all(&[*b]).is_err() {
                        break;
                    }
                    let _ = client.flush();
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
            let _ = client.shutdown(std::net::Shutdown::Both);
            return;
        }
        Some(Fault::Endless) => {
            let _ = client.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = vec![b'{'; 1 << 20];
            let head = format!("{:x}\r\n", chunk.len());
            for _ in 0..1024 {
                if stop.load(Ordering::SeqCst)
                    || client.write_all(head.as_bytes()).is_err()
                    || client.write_all(&chunk).is_err()
                    || client.write_all(b"\r\n").is_err()
                {
                    break;
                }
            }
            let _ = client.shutdown(std::net::Shutdown::Both);
            return;
        }
        Some(Fault::Huge) => {
            let _ = client.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1610612736\r\n\r\n{\"version\": 4",
            );
            let _ = client.shutdown(std::net::Shutdown::Both);
            return;
        }
        _ => {}
    }
    let reply = match fault {
        Some(Fault::Trickle | Fault::Endless | Fault::Huge) => None,
        None => forward(&upstream, &req),
        Some(Fault::Status500) => Some(status("500 Internal Server Error", "text/plain", "")),
        Some(Fault::Status503) => Some(status("503 Service Unavailable", "text/plain", "")),
        Some(Fault::Throttle) => Some(throttle(&op)),
        Some(Fault::Reset) => None,
        Some(Fault::CutShort) => forward(&upstream, &req).map(|full| {
            // Keep the headers (and their Content-Length), drop half of the body.
            let split = full
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(full.len(), |i| i + 4);
            let body_len = full.len() - split;
            full[..split + body_len / 2].to_vec()
        }),
        Some(Fault::RespondJson(body)) => {
            Some(status("200 OK", "application/x-amz-json-1.1", body))
        }
        Some(Fault::Rewrite(pairs)) => forward(&upstream, &req).map(|full| rewrite(&full, pairs)),
        Some(Fault::Hang) => {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(120) {
                std::thread::sleep(Duration::from_millis(20));
            }
            None
        }
    };
    if let Some(bytes) = reply {
        let _ = client.write_all(&bytes);
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
}

/// `full` (a whole HTTP response) with `from` replaced by `to` in its body and the
/// `Content-Length` set to the new length.
fn rewrite(full: &[u8], pairs: &[(&str, &str)]) -> Vec<u8> {
    let split = full
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(full.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&full[..split]);
    let mut body = String::from_utf8_lossy(&full[split..]).into_owned();
    for (from, to) in pairs {
        body = body.replacen(from, to, 1);
    }
    let mut out = String::new();
    for l in head.trim_end().lines() {
        if !l.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://127.0.0.1:PORT`) applying `rules`.
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let rules = Arc::new(Mutex::new(rules));
        let fired = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop2, rules2, fired2) = (stop.clone(), rules.clone(), fired.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let (u, r, st, f) = (
                            upstream.clone(),
                            rules2.clone(),
                            stop2.clone(),
                            fired2.clone(),
                        );
                        std::thread::spawn(move || handle(s, u, r, st, f));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            stop,
            fired,
        }
    }

    /// How many requests were broken so far.
    pub fn fired(&self) -> usize {
        self.fired.load(Ordering::SeqCst)
    }
}

/// A PostgreSQL proxy that forwards the startup and authentication, then swallows the
/// client's first query (`Parse` or `Query` message) and never answers: a server that
/// authenticates and then hangs. Plaintext only (it reads the protocol).
pub struct PgStallProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for PgStallProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pg_stall(mut client: TcpStream, upstream: u16, stop: Arc<AtomicBool>) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
    });
    // The startup message has no type byte: a length, then the rest.
    let mut len = [0u8; 4];
    if client.read_exact(&mut len).is_err() {
        return;
    }
    let mut rest = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
    if client.read_exact(&mut rest).is_err() {
        return;
    }
    let _ = server.write_all(&len).and_then(|_| server.write_all(&rest));
    loop {
        let mut head = [0u8; 5];
        if client.read_exact(&mut head).is_err() {
            return;
        }
        if head[0] == b'P' || head[0] == b'Q' {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        let n =
            (u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize).saturating_sub(4);
        let mut body = vec![0u8; n];
        if client.read_exact(&mut body).is_err() {
            return;
        }
        if server
            .write_all(&head)
            .and_then(|_| server.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

impl PgStallProxy {
    pub fn start(upstream: u16) -> PgStallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let st = stop2.clone();
                        std::thread::spawn(move || pg_stall(s, upstream, st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        PgStallProxy { port, stop }
    }
}
