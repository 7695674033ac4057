//! A scripted HTTP/1.1 server on 127.0.0.1 for the client's unit tests.
//!
//! Each connection carries one request (`Connection: close`). The script maps
//! the request body and its 0-based sequence number to a status, extra headers
//! and a body. Every request body is recorded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// A scripted reply: status, extra headers, body.
pub type Reply = (u16, Vec<(&'static str, String)>, String);

/// The running server.
pub struct Fixture {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    /// Request bodies received, in order.
    pub requests: Arc<Mutex<Vec<Value>>>,
}

impl Fixture {
    /// Starts the server, which runs until the test process ends.
    pub fn start(script: impl Fn(&Value, usize) -> Reply + Send + Sync + 'static) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &log, &script);
            }
        });
        Fixture {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            requests,
        }
    }

    /// Returns the number of requests received.
    pub fn count(&self) -> usize {
        self.requests.lock().map_or(0, |r| r.len())
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Value>>, script: &dyn Fn(&Value, usize) -> Reply) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;

    // Read the header lines up to the blank line, keeping Content-Length.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }

    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }

    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let n = {
        let mut log = log.lock().expect("request log");
        log.push(request.clone());
        log.len() - 1
    };

    let (status, headers, text) = script(&request, n);
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        text.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");

    let mut stream = reader.into_inner();
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(text.as_bytes());
}

/// Returns a 200 chat completion whose content is `content`.
pub fn completion(content: &str) -> Reply {
    let body = json!({
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    (200, Vec::new(), body.to_string())
}
