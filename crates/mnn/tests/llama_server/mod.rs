//! A llama.cpp `llama-server` child process that returns per-token hidden
//! states (`--embedding --pooling none`) on a free 127.0.0.1 port.
//!
//! The binary comes from `INEQMATH_LLAMA_SERVER` or the cache that
//! scripts/setup-llama-server.sh fills
//! (`$HOME/.cache/normlab/llama-server/*/llama-server`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Time allowed from spawning the server until `/health` returns status 200.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Finds the llama-server binary, or `None` when it is not installed.
pub fn find_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("INEQMATH_LLAMA_SERVER") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let cache = PathBuf::from(std::env::var_os("HOME")?).join(".cache/normlab/llama-server");
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("llama-server"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

/// A running server. Dropping it kills the child process by pid.
pub struct LlamaServer {
    child: Child,
    port: u16,
}

impl LlamaServer {
    /// Starts `binary` on `model` with `threads` threads and a 2048-token
    /// context and batch, then polls `/health` for up to 60 s.
    ///
    /// # Errors
    /// A message when the process fails to start, exits early or does not
    /// become healthy in time.
    pub fn start(binary: &Path, model: &Path, threads: usize) -> Result<Self, String> {
        let port = free_port()?;
        let child = Command::new(binary)
            .args(["-m"])
            .arg(model)
            .args(["--embedding", "--pooling", "none", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "-t", &threads.to_string()])
            .args(["-c", "2048", "-b", "2048", "-ub", "2048", "-np", "1"])
            .arg("--no-webui")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("failed to start {}: {e}", binary.display()))?;
        let mut server = Self { child, port };
        server.wait_healthy()?;
        Ok(server)
    }

    fn wait_healthy(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < STARTUP_TIMEOUT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("llama-server exited during startup: {status}"));
            }
            if let Ok((200, _)) = self.request("GET", "/health", None) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "llama-server on port {} not healthy after {} s",
            self.port,
            STARTUP_TIMEOUT.as_secs()
        ))
    }

    /// Returns the final hidden states of `text`, one row per token, from
    /// `POST /embedding` (no BOS for this model, not normalised).
    pub fn token_states(&self, text: &str) -> Result<Vec<Vec<f32>>, String> {
        let body = serde_json::json!({ "content": text }).to_string();
        let (status, reply) = self.request("POST", "/embedding", Some(&body))?;
        if status != 200 {
            return Err(format!("POST /embedding returned {status}: {reply}"));
        }
        let parsed: serde_json::Value =
            serde_json::from_str(&reply).map_err(|e| format!("invalid JSON reply: {e}"))?;
        let rows = parsed[0]["embedding"]
            .as_array()
            .ok_or_else(|| format!("reply has no embedding rows: {reply:.200}"))?;
        rows.iter()
            .map(|row| {
                row.as_array()
                    .ok_or("embedding row is not an array")?
                    .iter()
                    .map(|v| v.as_f64().map(|x| x as f32).ok_or("non-numeric entry"))
                    .collect::<Result<Vec<f32>, _>>()
                    .map_err(str::to_string)
            })
            .collect()
    }

    /// Sends one HTTP/1.1 request with `Connection: close` and returns the
    /// status code and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| format!("connect to port {}: {e}", self.port))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(|e| e.to_string())?;
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(|e| format!("send {method} {path}: {e}"))?;
        let mut reply = String::new();
        stream
            .read_to_string(&mut reply)
            .map_err(|e| format!("read reply to {method} {path}: {e}"))?;
        parse_reply(&reply)
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits an HTTP/1.1 reply read to EOF into status code and body.
fn parse_reply(reply: &str) -> Result<(u16, String), String> {
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or("HTTP reply has no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("invalid HTTP status line: {head:.80}"))?;
    Ok((status, body.to_string()))
}

/// Requests a free port from the OS. Another process may take it before the
/// server binds it, and then `LlamaServer::start` returns an error.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("failed to bind a port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| e.to_string())
}
