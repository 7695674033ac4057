//! End-to-end runs against a real llama-server with SmolLM2-135M on 127.0.0.1.
//!
//! The binary and the GGUF come from `INEQMATH_LLAMA_SERVER` and
//! `INEQMATH_GGUF`, else from the cache that scripts/setup-llama-server.sh
//! fills. Without them every test here prints a notice and passes.
//! The tests check formats and the per-call time limit but not verdict values,
//! because the judgements of a 135M model carry no meaning.
#![cfg(feature = "llm")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ineqmath::llm::{Cache, CachePolicy, ChatRequest, ClientParams, JsonSchema};
use serde_json::{Value, json};

/// Upper limit of one call, in milliseconds.
const CALL_LIMIT_MS: u64 = 60_000;

fn cache_root() -> PathBuf {
    let env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    env("NORMLAB_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        env("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&env("HOME").unwrap_or_default()).join(".cache"))
            .join("normlab")
    })
}

/// Finds the server binary and the GGUF, or prints a notice and returns `None`.
fn locate() -> Option<(PathBuf, PathBuf)> {
    let from_env = |name| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_file())
    };
    let server = from_env("INEQMATH_LLAMA_SERVER").or_else(|| {
        let dir = std::fs::read_dir(cache_root().join("llama-server")).ok()?;
        dir.flatten()
            .map(|e| e.path().join("llama-server"))
            .find(|p| p.is_file())
    });
    let gguf = from_env("INEQMATH_GGUF").or_else(|| {
        Some(cache_root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf")).filter(|p| p.is_file())
    });
    match (server, gguf) {
        (Some(s), Some(g)) => Some((s, g)),
        _ => {
            eprintln!(
                "notice: llama-server or the SmolLM2 GGUF not found (set INEQMATH_LLAMA_SERVER and INEQMATH_GGUF, or run scripts/setup-llama-server.sh); skipping the local-server tests"
            );
            None
        }
    }
}

/// A llama-server child process, killed by pid on drop.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start(binary: &Path, gguf: &Path, log: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port on 127.0.0.1")
            .port();
        let log = std::fs::File::create(log).expect("server log");
        let child = Command::new(binary)
            .args(["-m", &gguf.display().to_string(), "--host", "127.0.0.1"])
            .args([
                "--port",
                &port.to_string(),
                "-t",
                "2",
                "-c",
                "8192",
                "--parallel",
                "1",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start llama-server");
        let server = Server {
            child,
            base_url: format!("http://127.0.0.1:{port}/v1"),
        };
        let start = Instant::now();
        while !healthy(port) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "llama-server not healthy after 60 s"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        eprintln!(
            "llama-server healthy after {:.1} s",
            start.elapsed().as_secs_f64()
        );
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns true when `GET /health` returns status 200.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

fn problems_file(dir: &Path) -> PathBuf {
    let problems = json!([
        {"data_id": "0", "type": "bound", "data_split": "dev", "answer": "$C = 2$",
         "problem": "Let $a, b > 0$. Find the largest constant $C$ such that $a/b + b/a \\geq C$ holds for all $a, b > 0$."},
        {"data_id": "1", "type": "relation", "data_split": "dev", "answer": "(B) $\\geq$",
         "problem": "Let $x > 0$. Consider the inequality $x + 1/x$ ( ) $2$. Determine the correct relation: (A) $\\leq$ (B) $\\geq$ (C) $=$ (D) $<$ (E) $>$ (F) None of the above."}
    ]);
    let path = dir.join("problems.json");
    std::fs::write(&path, problems.to_string()).unwrap();
    path
}

fn ineqmath(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_ineqmath"))
        .args(args)
        .output()
        .expect("run ineqmath");
    assert!(
        output.status.success(),
        "ineqmath {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON summary")
}

fn read_array(path: &Path) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One server for all cases: the start dominates the run time.
#[test]
fn local_server_end_to_end() {
    let Some((binary, gguf)) = locate() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&binary, &gguf, &dir.path().join("server.log"));
    let cache = dir.path().join("cache");

    equivalence_call_returns_json(&server.base_url, &cache);
    let results = solve_truncates_and_caches(&server.base_url, dir.path(), &cache);
    let base_url = server.base_url.clone();
    let first = judge(&base_url, &results, dir.path(), &cache, "first", false);
    drop(server);
    let replay = judge(&base_url, &results, dir.path(), &cache, "replay", true);
    let key = |v: &Value| {
        (
            v["data_id"].clone(),
            v["kind"].clone(),
            v["pass"].clone(),
            v["parse_ok"].clone(),
        )
    };
    assert_eq!(
        first.iter().map(key).collect::<Vec<_>>(),
        replay.iter().map(key).collect::<Vec<_>>()
    );
    assert!(replay.iter().all(|v| v["cache_hit"] == true));
}

/// Sends one grammar-constrained equivalence request, then checks its JSON,
/// its latency and that a repeat is a cache hit.
fn equivalence_call_returns_json(base_url: &str, cache: &Path) {
    let mut params = ClientParams::new(base_url, "smollm2");
    params.max_tokens = 128;
    params.cache = Cache {
        dir: cache.to_path_buf(),
        policy: CachePolicy::Use,
    };
    let client = params.check().unwrap();

    let template = ineqmath::prompts::load("answer_bound_equiv", None).unwrap();
    let prompt = template.render(&[("gold", "\\frac{1}{2}"), ("pred", "0.5")]);
    let schema = JsonSchema {
        name: "equivalence",
        schema: json!({"type": "object", "additionalProperties": false,
            "required": ["analysis", "equivalent"],
            "properties": {"analysis": {"type": "string", "maxLength": 200},
                           "equivalent": {"type": "boolean"}}}),
    };
    let request = ChatRequest {
        item: "equiv",
        user: &prompt,
        schema: Some(&schema),
        ..ChatRequest::default()
    };

    let reply = client.chat(&request).unwrap();
    eprintln!(
        "equivalence call: {} ms, {:?}",
        reply.latency_ms, reply.finish_reason
    );
    assert!(reply.latency_ms <= CALL_LIMIT_MS);

    let parsed: Value = serde_json::from_str(&reply.content).expect("grammar-constrained JSON");
    assert!(parsed["equivalent"].is_boolean(), "{parsed}");
    assert!(client.chat(&request).unwrap().cache_hit);
}

/// Solves two problems with a 4-token budget. SmolLM2 at temperature 0
/// replies in 37 (bound) and 11 (relation) tokens, so a 64-token budget
/// would not truncate them.
fn solve_truncates_and_caches(base_url: &str, dir: &Path, cache: &Path) -> PathBuf {
    let problems = problems_file(dir);
    let run = |name: &str| {
        let out = dir.join(name).join("results.jsonl");
        let summary = ineqmath(&[
            "solve",
            "--problems",
            problems.to_str().unwrap(),
            "--base-url",
            base_url,
            "--model",
            "smollm2",
            "--max-tokens",
            "4",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(summary["ran"], 2);
        read_array(&out.with_extension("json"))
    };
    let first = run("a");
    assert_eq!(first.len(), 2);
    for record in &first {
        assert_eq!(record["success"], true, "{record}");
        assert_eq!(record["truncated"], true, "{record}");
        assert_eq!(record["finish_reason"], "length", "{record}");
        assert!(record["latency_ms"].as_u64().unwrap() <= CALL_LIMIT_MS);
        assert_eq!(record["cache_hit"], false);
    }
    let second = run("b");
    assert!(second.iter().all(|r| r["cache_hit"] == true));
    assert_eq!(first[0]["response"], second[0]["response"]);
    dir.join("a/results.json")
}

fn judge(
    base_url: &str,
    results: &Path,
    dir: &Path,
    cache: &Path,
    name: &str,
    cache_only: bool,
) -> Vec<Value> {
    let out = dir.join(format!("{name}_step_eval.jsonl"));
    let mut args = vec![
        "judge",
        "--results",
        results.to_str().unwrap(),
        "--judges",
        "toy,calc",
        "--base-url",
        base_url,
        "--model",
        "smollm2",
        "--max-tokens",
        "128",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    if cache_only {
        args.push("--cache-only");
    }
    let summary = ineqmath(&args);
    assert_eq!(summary["toy_case_judge"]["items"], 2, "{summary}");
    let verdicts = read_lines(&out);
    assert_eq!(verdicts.len(), 4);
    for v in &verdicts {
        assert_eq!(v["template_sha256"].as_str().unwrap().len(), 64);
        assert!(v["error"].is_null(), "{v}");
        let calls = v["attempts"].as_u64().unwrap().max(1);
        assert!(v["latency_ms"].as_u64().unwrap() <= calls * CALL_LIMIT_MS);
    }
    assert!(
        verdicts.iter().any(|v| v["parse_ok"] == true),
        "no verdict parsed: {verdicts:?}"
    );
    verdicts
}
