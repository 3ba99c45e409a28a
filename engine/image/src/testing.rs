//! Test support (feature `test-support`): a real registry for tests. Starts
//! Debian's `docker-registry` (the CNCF distribution registry) on
//! 127.0.0.1 at a free port with htpasswd auth, in a temporary directory
//! with its own config, and pushes OCI layouts to it with `skopeo`; and
//! [`StubServer`], a small loopback HTTP server that answers from a table.
//! Used by this crate's tests and by end-to-end tests of the CLI.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Set to `1` to skip tests that need `docker-registry` and `skopeo`.
pub const SKIP_ENV: &str = "WINSPECT_SKIP_REGISTRY_TESTS";

/// A running registry; stopped when dropped.
#[derive(Debug)]
pub struct TestRegistry {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub address: String,
    pub username: String,
    pub password: String,
    dir: tempfile::TempDir,
}

/// Why a registry could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TestRegistryError {
    #[error("registry tests skipped ({SKIP_ENV}=1)")]
    Skipped,
    #[error(
        "`{0}` is not installed: install the Debian packages docker-registry, skopeo and apache2-utils \
         (apt-get install docker-registry skopeo apache2-utils), or set {SKIP_ENV}=1 to skip registry tests"
    )]
    Missing(&'static str),
    #[error("{0}")]
    Failed(String),
}

fn tool(name: &'static str) -> Result<(), TestRegistryError> {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()));
    if found {
        Ok(())
    } else {
        Err(TestRegistryError::Missing(name))
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> TestRegistryError {
    TestRegistryError::Failed(format!("{what}: {e}"))
}

impl TestRegistry {
    /// Starts a registry, or says why it cannot (skipped, or a missing tool).
    pub fn start() -> Result<TestRegistry, TestRegistryError> {
        if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
            return Err(TestRegistryError::Skipped);
        }
        tool("docker-registry")?;
        tool("skopeo")?;
        tool("htpasswd")?;
        let dir = tempfile::tempdir().map_err(|e| failed("temporary directory", e))?;
        let (username, password) = ("winspect".to_owned(), "registry-test-password".to_owned());
        let output = Command::new("htpasswd")
            .args(["-Bbn", &username, &password])
            .output()
            .map_err(|e| failed("htpasswd", e))?;
        if !output.status.success() {
            return Err(failed("htpasswd", String::from_utf8_lossy(&output.stderr)));
        }
        let htpasswd = dir.path().join("htpasswd");
        std::fs::write(&htpasswd, &output.stdout).map_err(|e| failed("htpasswd file", e))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| failed("free port", e))?
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n  secret: winspect-test-secret\nvalidation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\nauth:\n  htpasswd:\n    realm: winspect-test\n    path: {}\n",
            dir.path().join("data").display(),
            htpasswd.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).map_err(|e| failed("registry config", e))?;
        let log = std::fs::File::create(dir.path().join("registry.log"))
            .map_err(|e| failed("registry log", e))?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| failed("docker-registry", e))?;
        let mut registry = TestRegistry {
            child,
            address,
            username,
            password,
            dir,
        };
        registry.wait_ready()?;
        Ok(registry)
    }

    fn wait_ready(&mut self) -> Result<(), TestRegistryError> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.path().join("registry.log"))
                    .unwrap_or_default();
                return Err(TestRegistryError::Failed(format!(
                    "docker-registry exited ({status}): {log}"
                )));
            }
            if let Ok(mut stream) = TcpStream::connect(&self.address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let request = format!("GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.address);
                let mut answer = [0u8; 12];
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_exact(&mut answer).is_ok()
                    && answer.starts_with(b"HTTP/1.")
                {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TestRegistryError::Failed(format!(
            "docker-registry did not answer on {} within 20 s",
            self.address
        )))
    }

    /// `<address>/<repository>:<tag>`.
    pub fn reference(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.address)
    }

    /// Pushes the image of OCI layout `layout` (tag `layout_tag`) to
    /// `repository:tag` as it is (digests preserved); `all` pushes a
    /// multi-platform index whole. The layout's manifests must have OCI
    /// media types: skopeo finds no other in a layout's `index.json`.
    ///
    /// A foreign (non-distributable) layer that lists `urls` is not copied:
    /// skopeo leaves its blob out (the layout need not hold it) and pushes
    /// the manifest with its `urls`, which this registry accepts for any
    /// `http://` or `https://` url.
    pub fn push(
        &self,
        layout: &Path,
        layout_tag: &str,
        repository: &str,
        tag: &str,
        all: bool,
    ) -> Result<(), TestRegistryError> {
        let mut args = vec!["--preserve-digests"];
        if all {
            args.push("--all");
        }
        self.copy(layout, layout_tag, repository, tag, &args)
    }

    /// Pushes the image of OCI layout `layout` converted to Docker's
    /// manifest v2 schema 2 (`skopeo copy --format v2s2`): new manifest and
    /// config digests, and foreign layers with Docker's foreign media type.
    pub fn push_as_docker(
        &self,
        layout: &Path,
        layout_tag: &str,
        repository: &str,
        tag: &str,
    ) -> Result<(), TestRegistryError> {
        self.copy(layout, layout_tag, repository, tag, &["--format", "v2s2"])
    }

    fn copy(
        &self,
        layout: &Path,
        layout_tag: &str,
        repository: &str,
        tag: &str,
        args: &[&str],
    ) -> Result<(), TestRegistryError> {
        let output = Command::new("skopeo")
            .arg("--insecure-policy")
            .arg("copy")
            .arg("--quiet")
            .args(args)
            .arg("--dest-creds")
            .arg(format!("{}:{}", self.username, self.password))
            .arg("--dest-tls-verify=false")
            .arg(format!("oci:{}:{layout_tag}", layout.display()))
            .arg(format!("docker://{}", self.reference(repository, tag)))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| failed("skopeo", e))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(TestRegistryError::Failed(format!(
                "skopeo copy failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a [`StubServer`] answers on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200 OK` with these bytes.
    Bytes(Vec<u8>),
    /// This status, with a short text body.
    Status(u16),
    /// `302 Found` to this location.
    Redirect(String),
}

/// The most connections a [`StubServer`] answers before it stops by itself.
const MAX_CONNECTIONS: usize = 256;

/// A small HTTP/1.1 server on a free loopback port, for tests: answers each
/// GET from a table of paths (anything else gets the fallback), one
/// connection at a time, `Connection: close`. It records the path of every
/// request, stops after 256 connections, and stops when dropped.
#[derive(Debug)]
pub struct StubServer {
    address: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StubServer {
    /// Starts a server answering `routes` (path, answer), and `fallback`
    /// for any other path.
    pub fn start(routes: Vec<(String, Answer)>, fallback: Answer) -> std::io::Result<StubServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?.to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming().take(MAX_CONNECTIONS) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { break };
                    let _ = serve(stream, &routes, &fallback, &requests);
                }
            })
        };
        Ok(StubServer {
            address,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `http://127.0.0.1:<port><path>`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &[(String, Answer)],
    fallback: &Answer,
    requests: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    use std::io::BufRead;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = std::io::BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Headers end at an empty line; a client that sends more than this is not ours.
    for _ in 0..256 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    if let Ok(mut seen) = requests.lock() {
        seen.push(path.clone());
    }
    let answer = routes
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(fallback, |(_, a)| a);
    let (code, extra, body): (u16, String, &[u8]) = match answer {
        Answer::Bytes(bytes) => (200, String::new(), bytes),
        Answer::Status(code) => (*code, String::new(), b"stub says no"),
        Answer::Redirect(to) => (302, format!("Location: {to}\r\n"), b""),
    };
    let reason = match code {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    write!(
        stream,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

/// A registry stand-in that answers `/v2/` with 200 and everything else
/// with `status`: for tests of 401, 403, 404 and 500 answers. Its address
/// is [`StubServer::address`].
pub fn stub_registry(status: u16) -> std::io::Result<StubServer> {
    StubServer::start(
        vec![("/v2/".into(), Answer::Bytes(b"{}".to_vec()))],
        Answer::Status(status),
    )
}
