//! A blocking client for OpenAI-compatible chat-completion servers (OpenAI,
//! vLLM, llama-server, ...), with a disk cache, retries, rate limits and a
//! concurrency helper.
//!
//! `POST {base_url}/chat/completions` with messages `[system?, user]` and an
//! optional `response_format` of type `json_schema`. A server that returns 400
//! and names `response_format` gets the same request once more without it
//! (text mode). The API key is sent as a bearer token and never logged,
//! cached or written.

mod cache;
#[cfg(test)]
pub(crate) mod fixture;
mod pool;
mod throttle;

pub use cache::{Cache, CachePolicy, Entry, default_dir};
pub use pool::map_ordered;
pub use throttle::{Backoff, Limiter, retryable};

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::prompts::sha256_hex;

/// Errors of the chat client.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// A client setting is out of range.
    #[error("invalid {name} {value}: {fix}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// The accepted range or the fix.
        fix: &'static str,
    },

    /// Every attempt failed with a transport error or a retryable status.
    #[error(
        "{url} unreachable after {attempts} attempts (last: {last}); start the server or check --base-url"
    )]
    Unreachable {
        /// The endpoint.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last status or transport error.
        last: String,
    },

    /// The server refused the request with a status that retrying cannot fix.
    #[error("{url} answered HTTP {status} for item {item}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The item.
        item: String,
        /// The HTTP status.
        status: u16,
        /// The start of the reply body.
        body: String,
    },

    /// The prompt and the completion budget exceed the server's context.
    #[error(
        "item {item}: the prompt plus max_tokens {max_tokens} exceed the server's context ({detail}); raise the server's context size or lower --max-tokens"
    )]
    ContextOverflow {
        /// The item.
        item: String,
        /// The completion budget requested.
        max_tokens: u32,
        /// The start of the server's message.
        detail: String,
    },

    /// `--cache-only` and the request is not cached.
    #[error(
        "item {item}: no cached reply for request {key} and --cache-only forbids calls; run once without --cache-only"
    )]
    CacheMiss {
        /// The item.
        item: String,
        /// The cache key.
        key: String,
    },

    /// The reply is not a chat completion.
    #[error("{url} sent a reply without choices[0].message.content for item {item}: {body}")]
    BadReply {
        /// The endpoint.
        url: String,
        /// The item.
        item: String,
        /// The start of the reply body.
        body: String,
    },
}

/// Style of the sampling parameters in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamStyle {
    /// `temperature`, `top_p`, `max_tokens`.
    Chat,
    /// Reasoning models: no temperature or top_p; `max_completion_tokens`
    /// and `reasoning_effort`.
    Reasoning,
}

impl ParamStyle {
    /// Returns the style of a model name: reasoning for names starting with o1, o3, o4 or gpt-5.
    pub fn for_model(model: &str) -> Self {
        let m = model.to_ascii_lowercase();
        if ["o1", "o3", "o4", "gpt-5"].iter().any(|p| m.starts_with(p)) {
            ParamStyle::Reasoning
        } else {
            ParamStyle::Chat
        }
    }
}

/// Unchecked client settings; [`ClientParams::check`] validates them.
#[derive(Clone, Debug)]
pub struct ClientParams {
    /// Base URL ending before `/chat/completions`, such as `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Model name sent to the server.
    pub model: String,
    /// Bearer token, if the server needs one.
    pub api_key: Option<ApiKey>,
    /// Sampling temperature in [0, 2] (chat style only).
    pub temperature: f64,
    /// Nucleus mass in (0, 1] (chat style only).
    pub top_p: f64,
    /// Completion budget in tokens, at least 1.
    pub max_tokens: u32,
    /// Seed sent to the server and used for the retry jitter.
    pub seed: u64,
    /// `reasoning_effort` for reasoning models (`low`, `medium`, `high`).
    pub reasoning_effort: Option<String>,
    /// Time limit of one HTTP call.
    pub timeout: Duration,
    /// HTTP attempts per request, at least 1.
    pub attempts: u32,
    /// First back-off ceiling; doubles per retry up to `backoff_cap`.
    pub backoff_base: Duration,
    /// Largest back-off ceiling.
    pub backoff_cap: Duration,
    /// Requests per minute, if limited.
    pub rpm: Option<u32>,
    /// Tokens per minute, if limited.
    pub tpm: Option<u64>,
    /// The cache.
    pub cache: Cache,
    /// Cache namespace; the endpoint URL (`<base_url>/chat/completions`) when `None`.
    pub namespace: Option<String>,
}

impl ClientParams {
    /// Creates settings with the IneqMath generation defaults (temperature 0, top_p 0.99),
    /// 5 attempts with back-off 1 s doubling to 60 s, a 600 s call timeout and
    /// the default cache.
    pub fn new(base_url: &str, model: &str) -> Self {
        ClientParams {
            base_url: base_url.to_string(),
            model: model.to_string(),
            api_key: None,
            temperature: 0.0,
            top_p: 0.99,
            max_tokens: 10_000,
            seed: 0,
            reasoning_effort: None,
            timeout: Duration::from_secs(600),
            attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            rpm: None,
            tpm: None,
            cache: Cache {
                dir: default_dir(),
                policy: CachePolicy::Use,
            },
            namespace: None,
        }
    }

    /// Validates the settings into a client.
    ///
    /// # Errors
    /// [`LlmError::Config`] naming the first bad setting.
    pub fn check(self) -> Result<ChatClient, LlmError> {
        let bad = |name, value: String, fix| Err(LlmError::Config { name, value, fix });
        let url = self.base_url.trim_end_matches('/').to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return bad(
                "--base-url",
                url,
                "give an http:// or https:// URL such as http://127.0.0.1:8080/v1",
            );
        }
        if self.model.trim().is_empty() {
            return bad("--model", "''".into(), "name the model the server serves");
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return bad(
                "temperature",
                self.temperature.to_string(),
                "use a value in [0, 2]",
            );
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return bad("top_p", self.top_p.to_string(), "use a value in (0, 1]");
        }
        if self.max_tokens == 0 {
            return bad("--max-tokens", "0".into(), "give at least 1");
        }
        if self.attempts == 0 {
            return bad("attempts", "0".into(), "give at least 1");
        }
        if self.timeout.is_zero() {
            return bad("--timeout", "0".into(), "give a positive number of seconds");
        }
        if self.rpm == Some(0) || self.tpm == Some(0) {
            return bad(
                "--rpm/--tpm",
                "0".into(),
                "give a positive limit or leave it out",
            );
        }
        Ok(ChatClient::new(self, url))
    }
}

/// An API key; its `Debug` form is redacted so that no log shows it.
#[derive(Clone)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A JSON schema for `response_format`.
#[derive(Clone, Debug)]
pub struct JsonSchema {
    /// The schema's name.
    pub name: &'static str,
    /// The schema.
    pub schema: Value,
}

/// One chat request.
#[derive(Clone, Debug, Default)]
pub struct ChatRequest<'a> {
    /// The item, for error messages.
    pub item: &'a str,
    /// Optional system message.
    pub system: Option<&'a str>,
    /// The user message.
    pub user: &'a str,
    /// Structured-output schema, if any.
    pub schema: Option<&'a JsonSchema>,
    /// Re-ask number: changes the cache key and the seed.
    pub attempt: u32,
    /// Completion budget overriding the client's.
    pub max_tokens: Option<u32>,
    /// Template name and sha256, stored with the cache entry.
    pub template: Option<(&'a str, &'a str)>,
}

/// A chat reply.
#[derive(Clone, Debug, Serialize)]
pub struct ChatReply {
    /// `choices[0].message.content`.
    pub content: String,
    /// `choices[0].finish_reason` (`length` means the budget ran out).
    pub finish_reason: Option<String>,
    /// The server's `usage` object.
    pub usage: Option<Value>,
    /// llama-server's `timings` object.
    pub timings: Option<Value>,
    /// True when the reply came from the cache and nothing was sent.
    pub cache_hit: bool,
    /// HTTP attempts made (of the cached call on a hit).
    pub attempts: u32,
    /// Wall time of the HTTP call in milliseconds (of the cached call on a hit).
    pub latency_ms: u64,
    /// The cache key: sha256 of the canonical request.
    pub request_sha256: String,
    /// True when the server refused `response_format` and text mode was used.
    pub text_mode: bool,
}

/// A checked client, shareable across threads.
#[derive(Debug)]
pub struct ChatClient {
    params: ClientParams,
    url: String,
    style: ParamStyle,
    agent: ureq::Agent,
    backoff: Backoff,
    limiter: Limiter,
}

impl ChatClient {
    fn new(params: ClientParams, base: String) -> Self {
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| base.starts_with(p));
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(params.timeout))
            .http_status_as_error(false);
        if loopback {
            config = config.proxy(None);
        }
        ChatClient {
            url: format!("{base}/chat/completions"),
            style: ParamStyle::for_model(&params.model),
            agent: config.build().into(),
            backoff: Backoff::new(
                params.backoff_base,
                params.backoff_cap,
                Duration::from_secs(120),
                params.seed,
            ),
            limiter: Limiter::new(params.rpm, params.tpm),
            params,
        }
    }

    /// Returns the model name.
    pub fn model(&self) -> &str {
        &self.params.model
    }

    /// Returns the cache namespace: the one set in the parameters, else the
    /// endpoint URL (`<base_url>/chat/completions`).
    pub fn namespace(&self) -> &str {
        self.params.namespace.as_deref().unwrap_or(&self.url)
    }

    /// Returns the parameter style in use.
    pub fn style(&self) -> ParamStyle {
        self.style
    }

    /// Returns the client's completion budget.
    pub fn max_tokens(&self) -> u32 {
        self.params.max_tokens
    }

    /// Builds the request body; `None` for `schema` leaves out `response_format`.
    pub fn body(&self, req: &ChatRequest, schema: Option<&JsonSchema>) -> Value {
        let mut messages = Vec::new();
        if let Some(system) = req.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.push(json!({"role": "user", "content": req.user}));
        let max_tokens = req.max_tokens.unwrap_or(self.params.max_tokens);
        let mut body = Map::new();
        body.insert("model".into(), json!(self.params.model));
        body.insert("messages".into(), Value::Array(messages));
        body.insert(
            "seed".into(),
            json!(self.params.seed + u64::from(req.attempt)),
        );
        match self.style {
            ParamStyle::Chat => {
                body.insert("temperature".into(), json!(self.params.temperature));
                body.insert("top_p".into(), json!(self.params.top_p));
                body.insert("max_tokens".into(), json!(max_tokens));
            }
            ParamStyle::Reasoning => {
                body.insert("max_completion_tokens".into(), json!(max_tokens));
                if let Some(effort) = &self.params.reasoning_effort {
                    body.insert("reasoning_effort".into(), json!(effort));
                }
            }
        }
        if let Some(s) = schema {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema",
                       "json_schema": {"name": s.name, "strict": true, "schema": s.schema}}),
            );
        }
        Value::Object(body)
    }

    /// Returns the cache key of a request: sha256 of the canonical JSON of namespace,
    /// model, messages, temperature, top_p, max_tokens, seed, response_format,
    /// reasoning_effort and attempt.
    pub fn cache_key(&self, req: &ChatRequest) -> (String, Value) {
        let body = self.body(req, req.schema);
        let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
        let max_tokens = body
            .get("max_tokens")
            .or_else(|| body.get("max_completion_tokens"))
            .cloned();
        let canonical = json!({
            "namespace": self.namespace(),
            "model": self.params.model,
            "messages": field("messages"),
            "temperature": field("temperature"),
            "top_p": field("top_p"),
            "max_tokens": max_tokens,
            "seed": field("seed"),
            "response_format": field("response_format"),
            "reasoning_effort": field("reasoning_effort"),
            "attempt": req.attempt,
        });
        let text = canonical_json(&canonical);
        (sha256_hex(text.as_bytes()), canonical)
    }

    /// Sends one request, or returns its reply from the cache.
    ///
    /// # Errors
    /// [`LlmError::CacheMiss`] under [`CachePolicy::Only`];
    /// [`LlmError::Unreachable`] after the last attempt;
    /// [`LlmError::Status`], [`LlmError::ContextOverflow`] or
    /// [`LlmError::BadReply`] for replies that retrying cannot fix.
    pub fn chat(&self, req: &ChatRequest) -> Result<ChatReply, LlmError> {
        let (key, canonical) = self.cache_key(req);
        let cache = &self.params.cache;
        if let Some(entry) = cache.get(&key) {
            if let Ok(mut reply) = self.reply_of(req, &entry.response) {
                reply.cache_hit = true;
                reply.attempts = entry.attempts;
                reply.latency_ms = entry.latency_ms;
                reply.text_mode = entry.text_mode;
                reply.request_sha256 = key;
                return Ok(reply);
            }
        }
        if cache.policy == CachePolicy::Only {
            return Err(LlmError::CacheMiss {
                item: req.item.to_string(),
                key,
            });
        }

        let sent = self.send(req)?;
        let mut reply = self.reply_of(req, &sent.response)?;
        reply.attempts = sent.attempts;
        reply.latency_ms = sent.latency_ms;
        reply.text_mode = sent.text_mode;
        reply.request_sha256 = key.clone();
        let time_unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        cache.put(
            &key,
            &Entry {
                request: canonical,
                response: sent.response,
                time_unix_s,
                latency_ms: sent.latency_ms,
                attempts: sent.attempts,
                text_mode: sent.text_mode,
                template: req.template.map(|t| t.0.to_string()),
                template_sha256: req.template.map(|t| t.1.to_string()),
            },
        );
        Ok(reply)
    }

    fn reply_of(&self, req: &ChatRequest, response: &Value) -> Result<ChatReply, LlmError> {
        let choice = &response["choices"][0];
        let Some(content) = choice["message"]["content"].as_str() else {
            return Err(LlmError::BadReply {
                url: self.url.clone(),
                item: req.item.to_string(),
                body: clip(&response.to_string()),
            });
        };
        let present = |v: &Value| (!v.is_null()).then(|| v.clone());
        Ok(ChatReply {
            content: content.to_string(),
            finish_reason: choice["finish_reason"].as_str().map(str::to_string),
            usage: present(&response["usage"]),
            timings: present(&response["timings"]),
            cache_hit: false,
            attempts: 0,
            latency_ms: 0,
            request_sha256: String::new(),
            text_mode: false,
        })
    }

    /// Posts the request with retries and the text-mode fallback.
    fn send(&self, req: &ChatRequest) -> Result<Sent, LlmError> {
        let mut schema = req.schema;
        let mut text_mode = false;
        let mut last = String::new();
        let mut attempt = 0;
        while attempt < self.params.attempts {
            let body = self.body(req, schema);
            let estimate = (req.user.len() + req.system.map_or(0, str::len)) as u64 / 4
                + u64::from(req.max_tokens.unwrap_or(self.params.max_tokens));
            self.limiter.acquire(estimate);
            attempt += 1;
            let start = Instant::now();
            let outcome = self.post(&body);
            let latency_ms = start.elapsed().as_millis() as u64;
            let (status, text, retry_after) = match outcome {
                Ok(reply) => reply,
                Err(e) => {
                    last = e;
                    self.pause(attempt, None);
                    continue;
                }
            };
            if (200..300).contains(&status) {
                let response: Value =
                    serde_json::from_str(&text).map_err(|_| LlmError::BadReply {
                        url: self.url.clone(),
                        item: req.item.to_string(),
                        body: clip(&text),
                    })?;
                let used = response["usage"]["total_tokens"]
                    .as_u64()
                    .unwrap_or(estimate);
                self.limiter.settle(estimate, used);
                return Ok(Sent {
                    response,
                    attempts: attempt,
                    latency_ms,
                    text_mode,
                });
            }
            if status == 400 && schema.is_some() && text.contains("response_format") {
                tracing::warn!(
                    item = req.item,
                    "the server refused response_format; retrying in text mode"
                );
                schema = None;
                text_mode = true;
                attempt -= 1;
                continue;
            }
            if status == 400 && is_context_overflow(&text) {
                return Err(LlmError::ContextOverflow {
                    item: req.item.to_string(),
                    max_tokens: req.max_tokens.unwrap_or(self.params.max_tokens),
                    detail: clip(&text),
                });
            }
            if !retryable(status) {
                return Err(LlmError::Status {
                    url: self.url.clone(),
                    item: req.item.to_string(),
                    status,
                    body: clip(&text),
                });
            }
            last = format!("HTTP {status}");
            self.pause(attempt, retry_after);
        }
        Err(LlmError::Unreachable {
            url: self.url.clone(),
            attempts: attempt,
            last,
        })
    }

    /// Sleeps before the next attempt, unless `done` attempts were the last.
    fn pause(&self, done: u32, retry_after: Option<u64>) {
        if done < self.params.attempts {
            let delay = self.backoff.delay(done - 1, retry_after);
            tracing::debug!(
                attempt = done,
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            std::thread::sleep(delay);
        }
    }

    /// Makes one HTTP call and returns status, body and `Retry-After` seconds, or the transport error.
    fn post(&self, body: &Value) -> Result<(u16, String, Option<u64>), String> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(key) = &self.params.api_key {
            request = request.header("Authorization", format!("Bearer {}", key.0));
        }
        let mut response = request
            .send(body.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok((status, text, retry_after))
    }
}

/// A successful HTTP exchange.
struct Sent {
    response: Value,
    attempts: u32,
    latency_ms: u64,
    text_mode: bool,
}

/// True for a 400 body that reports a context-length overflow (OpenAI's
/// `context_length_exceeded`, llama-server's "exceeds the available context size").
fn is_context_overflow(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    b.contains("context_length_exceeded")
        || (b.contains("context") && (b.contains("exceed") || b.contains("too long")))
}

/// Returns the first 300 characters of a text.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(300).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Serializes `value` as JSON with object keys sorted at every level and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String((*k).clone()),
                        canonical_json(&map[*k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
