//! Real servers for the live tests, started on free loopback ports and stopped on drop:
//! `moto_server` for AWS, a PostgreSQL and a MariaDB server (as the `postgres` and `mysql`
//! users when run as root) with TLS from a CA this harness makes.
//!
//! Each server owns one directory (`ServerDir`): its data, its sockets, its temporary files
//! (the server's `TMPDIR` and `--tmpdir` point there, never at `/tmp`) and its log, all owned
//! by the user it runs as, so the suite passes whatever the mode of `/tmp` or `TMPDIR`. A
//! server that fails to start fails the test with its own output.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directory a server owns, created under `base`: `data/`, `run/` (sockets), `tmp/` (its
/// temporary files), `log` (its stdout and stderr), and whatever the harness puts beside them
/// (certificates). Owned by `user` (when we are root), enterable by it; removed on drop.
pub struct ServerDir {
    dir: tempfile::TempDir,
    user: Option<&'static str>,
}

impl ServerDir {
    pub fn new(base: &Path, user: Option<&'static str>) -> ServerDir {
        let dir = tempfile::Builder::new()
            .prefix("drift-server-")
            .tempdir_in(base)
            .unwrap_or_else(|e| {
                panic!("cannot make a server directory in {}: {e}", base.display())
            });
        let user = user.filter(|_| is_root());
        for sub in ["data", "run", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).expect("server subdirectory");
        }
        let sd = ServerDir { dir, user };
        // The server's user enters this directory; only it writes inside.
        let _ = Command::new("chmod").arg("755").arg(sd.root()).status();
        sd
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn data(&self) -> PathBuf {
        self.root().join("data")
    }
    pub fn run(&self) -> PathBuf {
        self.root().join("run")
    }
    pub fn tmp(&self) -> PathBuf {
        self.root().join("tmp")
    }

    /// Hands everything inside to the server's user (after the harness wrote its files), and
    /// checks that user can write there: a parent it cannot enter is said plainly.
    pub fn hand_over(&self) {
        let Some(user) = self.user else {
            return;
        };
        let status = Command::new("chown")
            .args(["-R", &format!("{user}:{user}")])
            .arg(self.root())
            .status()
            .expect("chown");
        assert!(
            status.success(),
            "chown {user} {} failed",
            self.root().display()
        );
        let can_write = Command::new("runuser")
            .args(["-u", user, "--", "test", "-w"])
            .arg(self.tmp())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            can_write,
            "the test server runs as `{user}`, which cannot reach {}: a directory above it is \
             closed to that user (point TMPDIR at a directory others may enter, e.g. mode 755)",
            self.root().display()
        );
    }

    /// A fresh file for the server's stdout and stderr.
    fn log_stdio(&self) -> (Stdio, Stdio) {
        let f = File::create(self.root().join("log")).expect("server log");
        let g = f.try_clone().expect("server log");
        (Stdio::from(f), Stdio::from(g))
    }

    /// The end of the server's log, for a failure message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.root().join("log")).unwrap_or_default();
        tail(&text)
    }

    /// Runs a setup program to completion; a failure panics with the program's own output.
    fn run_setup(&self, what: &str, cmd: &mut Command) {
        let out: Output = cmd
            .env("TMPDIR", self.tmp())
            .output()
            .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
        assert!(
            out.status.success(),
            "{what} failed ({}):\n{}{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stdout)),
            tail(&String::from_utf8_lossy(&out.stderr))
        );
    }

    /// Starts a server with its output in `log` and its temporary files in `tmp`.
    fn spawn(&self, cmd: &mut Command) -> Child {
        let (out, err) = self.log_stdio();
        cmd.env("TMPDIR", self.tmp())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()))
    }
}

/// The last 4,000 bytes of a text (a server's log can be long; the end says why it stopped).
fn tail(text: &str) -> String {
    let mut start = text.len().saturating_sub(4000);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits until `child` accepts connections on `port`; false if it exited first (e.g. another
/// test took the port between our probe and its bind) or took too long.
fn wait_for_port(port: u16, child: &mut Child) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// moto's own record of every request it served (its recorder), one JSON line each.
    recording: PathBuf,
    _dir: ServerDir,
}

impl Moto {
    pub fn start() -> Moto {
        let dir = ServerDir::new(&std::env::temp_dir(), None);
        let recording = dir.data().join("requests.jsonl");
        if Command::new("moto_server").arg("--help").output().is_err() {
            panic!("moto_server is not installed: run scripts/test, or pip install 'moto[server]'");
        }
        for _ in 0..3 {
            let port = free_port();
            let mut child = dir.spawn(
                Command::new("moto_server")
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .env("MOTO_ENABLE_RECORDING", "True")
                    .env("MOTO_RECORDER_FILEPATH", &recording),
            );
            if wait_for_port(port, &mut child) {
                return Moto {
                    child,
                    endpoint: format!("http://127.0.0.1:{port}"),
                    recording,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start; its output:\n{}", dir.log_tail());
    }

    /// How many requests moto has recorded so far.
    pub fn requests_so_far(&self) -> usize {
        self.requests().len()
    }

    /// Every request moto recorded, as `SERVICE Operation`: the operation from the JSON
    /// protocols' `X-Amz-Target`, the query protocols' `Action`, or (Route 53's REST API)
    /// the method and path.
    pub fn requests(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|r| {
                let headers = &r["headers"];
                let auth = headers["Authorization"].as_str().unwrap_or_default();
                let service = auth
                    .split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split('/').nth(3))
                    .unwrap_or("?")
                    .to_string();
                if let Some(target) = headers["X-Amz-Target"].as_str() {
                    let op = target.rsplit('.').next().unwrap_or(target);
                    return format!("{service} {op}");
                }
                let body = match (r["body"].as_str(), r["body_encoded"].as_bool()) {
                    (Some(b), Some(true)) => decode_base64(b),
                    (Some(b), _) => b.to_string(),
                    _ => String::new(),
                };
                let url = r["url"].as_str().unwrap_or_default();
                let action = body
                    .split('&')
                    .chain(url.split(['?', '&']))
                    .find_map(|kv| kv.strip_prefix("Action="));
                match action {
                    Some(a) => format!("{service} {a}"),
                    None => format!(
                        "{service} {} {}",
                        r["method"].as_str().unwrap_or("?"),
                        url.split("/2013-04-01").nth(1).unwrap_or(url)
                    ),
                }
            })
            .collect()
    }

    /// The environment that points the SDK (and drift) at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "ap-northeast-2".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ]
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        let creds = aws_sdk_sts::config::Credentials::new("testing", "testing", None, None, "test");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("ap-northeast-2"))
            .credentials_provider(creds)
            .http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                        aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .build_https(),
            )
            .load()
            .await
    }
}

/// A new S3 bucket in the SDK's region (ap-northeast-2), and a path-style client for it.
pub async fn bucket(sdk: &aws_config::SdkConfig, name: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApNortheast2)
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    s3
}

/// A plain record set.
pub fn record(
    name: &str,
    rtype: aws_sdk_route53::types::RrType,
    ttl: i64,
    values: &[&str],
) -> aws_sdk_route53::types::ResourceRecordSet {
    let mut set = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(ttl);
    for v in values {
        set = set.resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value(*v)
                .build()
                .expect("record"),
        );
    }
    set.build().expect("record set")
}

/// Creates record sets in a zone, in batches Route 53 accepts.
pub async fn create_records(
    r53: &aws_sdk_route53::Client,
    zone_id: &str,
    sets: Vec<aws_sdk_route53::types::ResourceRecordSet>,
) {
    change_records(
        r53,
        zone_id,
        aws_sdk_route53::types::ChangeAction::Create,
        sets,
    )
    .await
}

/// Changes record sets in a zone (create, upsert or delete), in batches Route 53 accepts.
pub async fn change_records(
    r53: &aws_sdk_route53::Client,
    zone_id: &str,
    action: aws_sdk_route53::types::ChangeAction,
    sets: Vec<aws_sdk_route53::types::ResourceRecordSet>,
) {
    use aws_sdk_route53::types::{Change, ChangeBatch};
    for chunk in sets.chunks(200) {
        let changes = chunk
            .iter()
            .map(|s| {
                Change::builder()
                    .action(action.clone())
                    .resource_record_set(s.clone())
                    .build()
                    .expect("change")
            })
            .collect();
        r53.change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .expect("batch"),
            )
            .send()
            .await
            .expect("change records");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Postgres {
    child: Child,
    data: PathBuf,
    _dir: ServerDir,
    pub port: u16,
    pub password: String,
    pub ca_file: PathBuf,
}

fn pg_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: run scripts/test, or apt-get install postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Runs a PostgreSQL program, as `postgres` when we are root (it refuses root).
fn pg_command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A fresh CA (`ca.pem`) and a server certificate for `cert_host` signed by it
/// (`server.crt`, `server.key`) in `root`; returns the CA file.
fn test_certs(root: &Path, cert_host: &str) -> PathBuf {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "drift test CA");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec![cert_host.to_string()]).expect("params");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let cert = params.signed_by(&key, &issuer).expect("cert");
    let ca_file = root.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("write");
    std::fs::write(root.join("server.crt"), cert.pem()).expect("write");
    std::fs::write(root.join("server.key"), key.serialize_pem()).expect("write");
    ca_file
}

/// A MariaDB server on a free loopback port, with TLS from a fresh CA and a user `drift`
/// that may only read; started as `mysql` when we are root. Stops when dropped.
pub struct Mariadb {
    child: Child,
    pub port: u16,
    pub password: String,
    pub ca_file: PathBuf,
    socket: PathBuf,
    _dir: ServerDir,
}

impl Mariadb {
    pub fn start(cert_host: &str) -> Mariadb {
        Mariadb::start_in(&std::env::temp_dir(), cert_host)
    }

    /// A server whose directory is made under `base`.
    pub fn start_in(base: &Path, cert_host: &str) -> Mariadb {
        let dir = ServerDir::new(base, Some("mysql"));
        let root = dir.root().to_path_buf();
        let ca_file = test_certs(&root, cert_host);
        dir.hand_over();
        let data = dir.data();
        let tmp = format!("--tmpdir={}", dir.tmp().display());
        let user = if is_root() { "mysql" } else { "" };
        let mut install = Command::new("mariadb-install-db");
        install
            .args([
                "--no-defaults",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()))
            .arg(&tmp);
        if !user.is_empty() {
            install.arg(format!("--user={user}"));
        }
        if Command::new("mariadb-install-db")
            .arg("--help")
            .output()
            .is_err()
        {
            panic!("MariaDB is not installed: run scripts/test, or apt-get install mariadb-server");
        }
        dir.run_setup("mariadb-install-db", &mut install);
        let socket = dir.run().join("sock");
        for _ in 0..3 {
            let port = free_port();
            let server = if Path::new("/usr/sbin/mariadbd").exists() {
                "/usr/sbin/mariadbd"
            } else {
                "mariadbd"
            };
            let mut cmd = Command::new(server);
            cmd.arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .arg(&tmp)
                .arg(format!("--port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--socket={}", socket.display()))
                .arg("--skip-log-bin")
                .arg(format!("--ssl-ca={}", ca_file.display()))
                .arg(format!("--ssl-cert={}", root.join("server.crt").display()))
                .arg(format!("--ssl-key={}", root.join("server.key").display()));
            if !user.is_empty() {
                cmd.arg(format!("--user={user}"));
            }
            let mut child = dir.spawn(&mut cmd);
            if wait_for_port(port, &mut child) {
                let m = Mariadb {
                    child,
                    port,
                    password: "my-s3cret-Pw-for-tests".into(),
                    ca_file,
                    socket,
                    _dir: dir,
                };
                m.sql(&format!(
                    "CREATE USER 'drift'@'%' IDENTIFIED BY '{}'; GRANT SELECT, SHOW DATABASES ON *.* TO 'drift'@'%';",
                    m.password
                ));
                return m;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("mariadbd did not start; its output:\n{}", dir.log_tail());
    }

    /// Runs SQL as root over the socket (this is the harness, not drift).
    pub fn sql(&self, statements: &str) {
        let mut last = String::new();
        for _ in 0..50 {
            let out = Command::new("mariadb")
                .args(["--no-defaults", "-uroot"])
                .arg(format!("--socket={}", self.socket.display()))
                .arg("-e")
                .arg(statements)
                .output()
                .expect("mariadb client");
            if out.status.success() {
                return;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("mariadb: {last}");
    }

    pub fn create(&self, names: &[&str]) {
        let sql: String = names
            .iter()
            .map(|n| format!("CREATE DATABASE `{n}`;"))
            .collect();
        self.sql(&sql);
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Postgres {
    /// A server whose TLS certificate is for `cert_host`, signed by a fresh CA.
    pub fn start(cert_host: &str) -> Postgres {
        Postgres::start_in(&std::env::temp_dir(), cert_host)
    }

    /// A server whose directory is made under `base`.
    pub fn start_in(base: &Path, cert_host: &str) -> Postgres {
        let dir = ServerDir::new(base, Some("postgres"));
        let root = dir.root().to_path_buf();
        // initdb makes the data directory itself, with the mode it wants.
        let data = root.join("data");
        let _ = std::fs::remove_dir(&data);
        let ca_file = test_certs(&root, cert_host);
        let password = "s3cret-Pw-for-tests".to_string();
        std::fs::write(root.join("pw"), &password).expect("write");
        let _ = Command::new("chmod")
            .arg("600")
            .arg(root.join("server.key"))
            .status();
        dir.hand_over();
        let bin = pg_bin();
        dir.run_setup(
            "initdb",
            pg_command(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "drift", "-A", "scram-sha-256", "--no-sync"])
                .arg(format!("--pwfile={}", root.join("pw").display())),
        );
        let mut started = None;
        for _ in 0..3 {
            let port = free_port();
            let mut child = dir.spawn(
                pg_command(&bin.join("postgres"))
                    .arg("-D")
                    .arg(&data)
                    .args([
                        "-p",
                        &port.to_string(),
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "ssl=on",
                        "-c",
                        "fsync=off",
                    ])
                    .arg("-c")
                    .arg(format!("unix_socket_directories={}", dir.run().display()))
                    .arg("-c")
                    .arg(format!(
                        "ssl_cert_file={}",
                        root.join("server.crt").display()
                    ))
                    .arg("-c")
                    .arg(format!(
                        "ssl_key_file={}",
                        root.join("server.key").display()
                    )),
            );
            if wait_for_port(port, &mut child) {
                started = Some((child, port));
                break;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let Some((child, port)) = started else {
            panic!("postgres did not start; its output:\n{}", dir.log_tail());
        };
        std::thread::sleep(Duration::from_millis(300));
        Postgres {
            child,
            data,
            _dir: dir,
            port,
            password,
            ca_file,
        }
    }

    /// Creates databases (over a plain connection: this is the harness, not drift).
    pub async fn create(&self, names: &[&str]) {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1")
            .port(self.port)
            .user("drift")
            .password(self.password.as_str())
            .dbname("postgres");
        let mut last = None;
        for _ in 0..50 {
            match cfg.connect(tokio_postgres::NoTls).await {
                Ok((client, conn)) => {
                    tokio::spawn(conn);
                    for n in names {
                        client
                            .batch_execute(&format!("CREATE DATABASE \"{n}\""))
                            .await
                            .expect("create database");
                    }
                    return;
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("cannot connect to the test PostgreSQL: {last:?}");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = pg_command(&pg_bin().join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64, for moto's recorded bodies.
fn decode_base64(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A CloudFront distribution in moto (drift has no CloudFront SDK crate, and its own client
/// only reads): a signed `CreateDistribution` with one alias and one S3 origin reached through
/// an Origin Access Control (which moto 5.2 accepts and then leaves out of its answers).
/// Returns the distribution's id and domain name.
pub async fn cloudfront_distribution(moto: &Moto, alias: &str, origin: &str) -> (String, String) {
    let config = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>{alias}</CallerReference>
  <Aliases><Quantity>1</Quantity><Items><CNAME>{alias}</CNAME></Items></Aliases>
  <Origins><Quantity>1</Quantity><Items><Origin><Id>files</Id><DomainName>{origin}</DomainName>
    <S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>
    <OriginAccessControlId>E2QWRUHAPOMQZL</OriginAccessControlId></Origin></Items></Origins>
  <DefaultCacheBehavior><TargetOriginId>files</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues>
    <MinTTL>0</MinTTL></DefaultCacheBehavior>
  <Comment></Comment><Enabled>true</Enabled>
</DistributionConfig>"#
    );
    let text = signed_post(
        moto,
        "cloudfront",
        "us-east-1",
        "/2020-05-31/distribution",
        "application/xml",
        config,
    )
    .await;
    (xml_tag(&text, "Id"), xml_tag(&text, "DomainName"))
}

/// A signed POST to moto (for what drift's read-only clients and the test's SDK crates cannot
/// create); panics unless the answer is 2xx, returns its text.
pub async fn signed_post(
    moto: &Moto,
    service: &str,
    region: &str,
    path: &str,
    content_type: &str,
    body: String,
) -> String {
    let url = format!("{}{path}", moto.endpoint);
    let uri: http::Uri = url.parse().unwrap();
    let host = format!("{}:{}", uri.host().unwrap(), uri.port_u16().unwrap());
    let creds = aws_sdk_sts::config::Credentials::new("testing", "testing", None, None, "test");
    let identity = creds.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "POST",
        url.as_str(),
        headers.iter().copied(),
        aws_sigv4::http_request::SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .unwrap()
        .into_parts();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(uri)
        .header("host", &host)
        .header("content-type", content_type);
    for (name, value) in instructions.headers() {
        req = req.header(name, value);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let resp = client.request(req).await.expect("POST to moto");
    let status = resp.status();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(status.is_success(), "{service} {path}: {status} {text}");
    text
}

/// A Query API call (EC2, Elastic Load Balancing) to moto in ap-northeast-2.
pub async fn query(moto: &Moto, service: &str, params: &[(&str, &str)]) -> String {
    let body = params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('/', "%2F").replace(' ', "%20")))
        .collect::<Vec<_>>()
        .join("&");
    signed_post(
        moto,
        service,
        "ap-northeast-2",
        "/",
        "application/x-www-form-urlencoded",
        body,
    )
    .await
}

/// The text of the first `<name>` element of an XML answer.
pub fn xml_tag(text: &str, name: &str) -> String {
    text.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|t| t.split(&format!("</{name}>")).next())
        .unwrap_or_default()
        .to_string()
}

/// An application load balancer named `name` in moto (in a new VPC's two subnets); its DNS
/// name.
pub async fn load_balancer(moto: &Moto, name: &str) -> String {
    let vpc = query(
        moto,
        "ec2",
        &[
            ("Action", "CreateVpc"),
            ("Version", "2016-11-15"),
            ("CidrBlock", "10.0.0.0/16"),
        ],
    )
    .await;
    let vpc = xml_tag(&vpc, "vpcId");
    let mut subnets = Vec::new();
    for (cidr, az) in [
        ("10.0.1.0/24", "ap-northeast-2a"),
        ("10.0.2.0/24", "ap-northeast-2c"),
    ] {
        let s = query(
            moto,
            "ec2",
            &[
                ("Action", "CreateSubnet"),
                ("Version", "2016-11-15"),
                ("VpcId", &vpc),
                ("CidrBlock", cidr),
                ("AvailabilityZone", az),
            ],
        )
        .await;
        subnets.push(xml_tag(&s, "subnetId"));
    }
    let lb = query(
        moto,
        "elasticloadbalancing",
        &[
            ("Action", "CreateLoadBalancer"),
            ("Version", "2015-12-01"),
            ("Name", name),
            ("Subnets.member.1", &subnets[0]),
            ("Subnets.member.2", &subnets[1]),
        ],
    )
    .await;
    xml_tag(&lb, "DNSName")
}

/// A multi-threaded runtime for a test's provisioning.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Sets a bucket's default encryption to SSE-KMS with the key `key_arn`.
pub async fn encrypt_with_kms(s3: &aws_sdk_s3::Client, bucket: &str, key_arn: &str) {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(key_arn)
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("bucket encryption");
}
