use std::time::{Duration, Instant};

use serde_json::json;

use super::fixture::{Fixture, completion};
use super::*;

fn params(fixture: &Fixture, dir: &std::path::Path, policy: CachePolicy) -> ClientParams {
    let mut p = ClientParams::new(&fixture.base_url, "test-model");
    p.max_tokens = 64;
    p.backoff_base = Duration::from_millis(5);
    p.backoff_cap = Duration::from_millis(20);
    p.timeout = Duration::from_secs(10);
    p.cache = Cache {
        dir: dir.to_path_buf(),
        policy,
    };
    p
}

fn ask<'a>(user: &'a str, schema: Option<&'a JsonSchema>) -> ChatRequest<'a> {
    ChatRequest {
        item: "7",
        user,
        schema,
        ..ChatRequest::default()
    }
}

fn schema() -> JsonSchema {
    JsonSchema {
        name: "verdict",
        schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}}),
    }
}

#[test]
fn body_has_the_openai_shape() {
    let server = Fixture::start(|_, _| completion("hello"));
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let s = schema();
    let reply = client.chat(&ask("2+2?", Some(&s))).unwrap();
    assert_eq!(reply.content, "hello");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert!(!reply.cache_hit);
    assert_eq!(reply.attempts, 1);
    assert!(!reply.text_mode);

    let body = &server.requests.lock().unwrap()[0];
    assert_eq!(body["model"], "test-model");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "2+2?"}])
    );
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["top_p"], 0.99);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["seed"], 0);
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["response_format"]["json_schema"]["name"], "verdict");
}

#[test]
fn server_error_then_success_is_retried() {
    let server = Fixture::start(|_, n| {
        if n == 0 {
            (500, Vec::new(), "{}".into())
        } else {
            completion("ok")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let reply = client.chat(&ask("q", None)).unwrap();
    assert_eq!((reply.content.as_str(), reply.attempts), ("ok", 2));
    assert_eq!(server.count(), 2);
}

#[test]
fn retry_after_is_honoured() {
    let server = Fixture::start(|_, n| {
        if n == 0 {
            (429, vec![("Retry-After", "1".into())], "{}".into())
        } else {
            completion("ok")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let start = Instant::now();
    assert_eq!(client.chat(&ask("q", None)).unwrap().attempts, 2);
    assert!(start.elapsed() >= Duration::from_secs(1));
}

#[test]
fn persistent_failure_reports_the_last_status() {
    let server = Fixture::start(|_, _| (503, Vec::new(), "{}".into()));
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let err = client.chat(&ask("q", None)).unwrap_err();
    assert!(
        matches!(err, LlmError::Unreachable { attempts: 5, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP 503"));
    assert_eq!(server.count(), 5);
}

#[test]
fn client_error_is_not_retried() {
    let server = Fixture::start(|_, _| (401, Vec::new(), "{\"error\": \"bad key\"}".into()));
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let err = client.chat(&ask("q", None)).unwrap_err();
    assert!(matches!(err, LlmError::Status { status: 401, .. }), "{err}");
    assert_eq!(server.count(), 1);
}

#[test]
fn response_format_refusal_falls_back_to_text_mode() {
    let server = Fixture::start(|body, _| {
        if body.get("response_format").is_some() {
            (
                400,
                Vec::new(),
                "{\"error\": \"unsupported response_format\"}".into(),
            )
        } else {
            completion("{\"ok\": true}")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Use)
        .check()
        .unwrap();
    let s = schema();
    let reply = client.chat(&ask("q", Some(&s))).unwrap();
    assert!(reply.text_mode);
    assert_eq!(reply.attempts, 1);
    assert_eq!(server.count(), 2);
    assert!(
        server.requests.lock().unwrap()[1]
            .get("response_format")
            .is_none()
    );

    let again = client.chat(&ask("q", Some(&s))).unwrap();
    assert!(again.cache_hit);
    assert!(again.text_mode);
    assert_eq!(server.count(), 2);
}

#[test]
fn context_overflow_names_the_item() {
    let server = Fixture::start(|_, _| {
        let text = "{\"error\": {\"message\": \"the request exceeds the available context size\"}}";
        (400, Vec::new(), text.into())
    });
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let err = client.chat(&ask("q", None)).unwrap_err();
    assert!(
        matches!(err, LlmError::ContextOverflow { max_tokens: 64, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("item 7"));
}

#[test]
fn cache_policies() {
    let server = Fixture::start(|_, _| completion("cached"));
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Use)
        .check()
        .unwrap();
    let first = client.chat(&ask("q", None)).unwrap();
    let second = client.chat(&ask("q", None)).unwrap();
    assert!(!first.cache_hit);
    assert!(second.cache_hit);
    assert_eq!(first.request_sha256, second.request_sha256);
    assert_eq!(second.content, "cached");
    assert_eq!(server.count(), 1);

    let replay = params(&server, dir.path(), CachePolicy::Only)
        .check()
        .unwrap();
    assert!(replay.chat(&ask("q", None)).unwrap().cache_hit);
    let err = replay.chat(&ask("other", None)).unwrap_err();
    assert!(matches!(err, LlmError::CacheMiss { .. }), "{err}");
    assert_eq!(server.count(), 1);

    let refresh = params(&server, dir.path(), CachePolicy::Refresh)
        .check()
        .unwrap();
    assert!(!refresh.chat(&ask("q", None)).unwrap().cache_hit);
    assert_eq!(server.count(), 2);
}

#[test]
fn attempt_changes_key_and_seed() {
    let server = Fixture::start(|_, _| completion("x"));
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Use)
        .check()
        .unwrap();
    let mut req = ask("q", None);
    let (k0, _) = client.cache_key(&req);
    req.attempt = 1;
    let (k1, _) = client.cache_key(&req);
    assert_ne!(k0, k1);
    client.chat(&req).unwrap();
    assert_eq!(server.requests.lock().unwrap()[0]["seed"], 1);
}

#[test]
fn reasoning_models_get_the_reasoning_style() {
    let server = Fixture::start(|_, _| completion("x"));
    let dir = tempfile::tempdir().unwrap();
    let mut p = params(&server, dir.path(), CachePolicy::Off);
    p.model = "o4-mini".into();
    p.reasoning_effort = Some("medium".into());
    let client = p.check().unwrap();
    assert_eq!(client.style(), ParamStyle::Reasoning);
    client.chat(&ask("q", None)).unwrap();
    let body = &server.requests.lock().unwrap()[0];
    assert!(body.get("temperature").is_none());
    assert!(body.get("top_p").is_none());
    assert_eq!(body["max_completion_tokens"], 64);
    assert_eq!(body["reasoning_effort"], "medium");
    assert_eq!(ParamStyle::for_model("gpt-4o-mini"), ParamStyle::Chat);
}

#[test]
fn rpm_spaces_the_requests() {
    let server = Fixture::start(|_, _| completion("x"));
    let dir = tempfile::tempdir().unwrap();
    let mut p = params(&server, dir.path(), CachePolicy::Off);
    p.rpm = Some(600);
    let client = p.check().unwrap();
    let start = Instant::now();
    for q in ["a", "b", "c"] {
        client.chat(&ask(q, None)).unwrap();
    }
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn output_is_identical_for_one_and_four_workers() {
    let server = Fixture::start(|body, _| {
        let user = body["messages"][0]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        completion(&format!("echo {user}"))
    });
    let dir = tempfile::tempdir().unwrap();
    let client = params(&server, dir.path(), CachePolicy::Off)
        .check()
        .unwrap();
    let items: Vec<String> = (0..12).map(|i| format!("q{i}")).collect();
    let run = |workers| {
        map_ordered(&items, workers, |q| {
            client.chat(&ask(q, None)).unwrap().content
        })
    };
    let one = run(1);
    assert_eq!(one[3], "echo q3");
    assert_eq!(run(4), one);
}

#[test]
fn bad_settings_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture {
        base_url: "ftp://x".into(),
        requests: Default::default(),
    };
    let err = params(&fixture, dir.path(), CachePolicy::Off)
        .check()
        .unwrap_err();
    assert!(err.to_string().contains("--base-url"), "{err}");
    let mut p = ClientParams::new("http://127.0.0.1:1/v1", "m");
    p.max_tokens = 0;
    assert!(p.check().unwrap_err().to_string().contains("--max-tokens"));
}

#[test]
fn api_key_stays_out_of_debug_and_cache() {
    let server = Fixture::start(|_, _| completion("x"));
    let dir = tempfile::tempdir().unwrap();
    let mut p = params(&server, dir.path(), CachePolicy::Use);
    p.api_key = Some(ApiKey("sk-secret".into()));
    assert!(!format!("{p:?}").contains("sk-secret"));
    let client = p.check().unwrap();
    let reply = client.chat(&ask("q", None)).unwrap();
    let entry =
        std::fs::read_to_string(client_cache_path(dir.path(), &reply.request_sha256)).unwrap();
    assert!(!entry.contains("sk-secret"));
}

fn client_cache_path(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    Cache {
        dir: dir.to_path_buf(),
        policy: CachePolicy::Use,
    }
    .path(key)
}

#[test]
fn canonical_json_sorts_keys() {
    assert_eq!(
        canonical_json(&json!({"b": [1, {"d": 2, "c": 3}], "a": "x"})),
        r#"{"a":"x","b":[1,{"c":3,"d":2}]}"#
    );
}
