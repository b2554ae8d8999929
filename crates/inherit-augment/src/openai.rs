//! A [`TextGenerator`] backed by an OpenAI-compatible server: vLLM, llama.cpp's server,
//! Ollama, OpenAI.
//!
//! [`Prompt::Chat`] goes to `POST {base_url}/chat/completions`, [`Prompt::Raw`] to
//! `POST {base_url}/completions`. Prompts of a batch are sent concurrently by
//! `concurrency` worker threads; each request has a time limit and is retried with
//! [`RetryPolicy`] on 408, 429, 5xx, timeouts, connection failures and malformed JSON;
//! other statuses (400, 401, 404 ...) fail at once. Prompt `i` of a batch is sent with
//! the sampling seed `derive_seed(params.seed, i)` (31 bits), as the trait asks.
//!
//! The API key is read once from the environment variable named by `api_key_env` and
//! is never logged, printed (the `Debug` output redacts it) or written anywhere. A server
//! that echoes the request back (headers included) cannot smuggle it into an error
//! message, a log line or the generation cache either: every response body, and every
//! transport error, has each occurrence of a key of at least
//! [`MIN_REDACTED_KEY_LEN`] bytes replaced by `<redacted>` before it is read. (A shorter
//! key is not redacted: it would mangle ordinary text that happens to contain it.)
//!
//! Bodies are read up to ureq's limit of 10 MB; a longer one fails the request at once
//! (an error naming the limit), as retrying the same server is unlikely to help.
//!
//! Credentials written into the base URL (`http://user:password@host/v1`) are never
//! recorded: the generator's id and every error carry the URL through [`redact_url`].
//! Redirects are never followed (a 3xx answer is an error naming its location), so a
//! server cannot send the request and its key to another origin.
//!
//! Transport: `http://` always; `https://` through rustls with the webpki root
//! certificates (pure Rust, no system TLS library).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use inherit_core::{GenerationParams, PartialGeneration, Prompt, TextGenerator, derive_seed};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::retry::{RetryPolicy, parse_retry_after};

/// Server configuration.
///
/// | name | default | range |
/// |---|---|---|
/// | `base_url` | — | `http://` or `https://` URL up to the API version, e.g. `http://127.0.0.1:8000/v1` |
/// | `model` | — | non-empty |
/// | `api_key_env` | none | name of the variable holding the key (sent as `Authorization: Bearer`) |
/// | `concurrency` | 4 | >= 1 requests in flight |
/// | `timeout_secs` | 120 | > 0 and <= 1e7 (about 115 days); per attempt, connection to end of body |
/// | `send_top_k` | false | send `top_k` (vLLM, llama.cpp and Ollama accept it; OpenAI does not) |
/// | `retry` | [`RetryPolicy::default`] | see [`RetryPolicy`] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAiConfig {
    /// API base URL.
    pub base_url: String,
    /// Model name sent with each request.
    pub model: String,
    /// Environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Requests in flight.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Time limit of one attempt, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: f64,
    /// Whether to send `top_k`.
    #[serde(default)]
    pub send_top_k: bool,
    /// Retry policy.
    #[serde(default)]
    pub retry: RetryPolicy,
}

fn default_concurrency() -> usize {
    4
}

/// The shortest API key that responses and errors are scrubbed of (see the module docs).
pub const MIN_REDACTED_KEY_LEN: usize = 8;

/// The longest accepted `timeout_secs` (about 115 days).
pub const MAX_TIMEOUT_SECS: f64 = 1e7;

fn default_timeout() -> f64 {
    120.0
}

impl OpenAiConfig {
    /// A config with the defaults of the table.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key_env: None,
            concurrency: default_concurrency(),
            timeout_secs: default_timeout(),
            send_top_k: false,
            retry: RetryPolicy::default(),
        }
    }

    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        let invalid =
            |name: &str, msg: String| -> Error { inherit_core::Error::invalid(name, msg).into() };
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(invalid(
                "base_url",
                format!(
                    "must start with http:// or https://, got `{}`",
                    self.base_url
                ),
            ));
        }
        if self.model.trim().is_empty() {
            return Err(invalid("model", "cannot be empty".into()));
        }
        if self.concurrency == 0 {
            return Err(invalid("concurrency", "must be at least 1".into()));
        }
        if !(self.timeout_secs > 0.0 && self.timeout_secs <= MAX_TIMEOUT_SECS) {
            return Err(invalid(
                "timeout_secs",
                format!(
                    "must be > 0 and <= {MAX_TIMEOUT_SECS:e} seconds, got {}",
                    self.timeout_secs
                ),
            ));
        }
        self.retry.check()
    }
}

/// The OpenAI-compatible backend.
pub struct OpenAiCompatible {
    config: OpenAiConfig,
    api_key: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatible")
            .field("config", &self.config)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt (with the server's `Retry-After`, if any).
    Retry(String, Option<Duration>),
    /// Retrying cannot help.
    Fatal(Error),
}

impl OpenAiCompatible {
    /// Checks the config and reads the API key from the environment.
    pub fn new(config: OpenAiConfig) -> Result<Self> {
        config.check()?;
        let api_key = match &config.api_key_env {
            Some(var) => {
                Some(std::env::var(var).map_err(|_| Error::MissingApiKey { var: var.clone() })?)
            }
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are never followed: a redirect to another origin would carry the
            // request (and its key) there. A 3xx answer fails the request, naming it.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs_f64(config.timeout_secs)))
            .build()
            .into();
        Ok(OpenAiCompatible {
            config,
            api_key,
            agent,
        })
    }

    /// The config.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn endpoint(&self, prompt: &Prompt) -> String {
        let base = self.config.base_url.trim_end_matches('/');
        match prompt {
            Prompt::Chat(_) => format!("{base}/chat/completions"),
            Prompt::Raw(_) => format!("{base}/completions"),
        }
    }

    fn body(&self, prompt: &Prompt, params: &GenerationParams, seed: u64) -> Value {
        let mut body = json!({
            "model": self.config.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": seed,
            "n": 1,
        });
        match prompt {
            Prompt::Chat(msgs) => body["messages"] = json!(msgs),
            Prompt::Raw(text) => body["prompt"] = json!(text),
        }
        if !params.stop.is_empty() {
            body["stop"] = json!(params.stop);
        }
        if self.config.send_top_k && params.top_k > 0 {
            body["top_k"] = json!(params.top_k);
        }
        body
    }

    /// One request with retries.
    fn request(&self, index: usize, prompt: &Prompt, params: &GenerationParams) -> Result<String> {
        let url = self.endpoint(prompt);
        let seed = derive_seed(params.seed, &index.to_string()) & 0x7fff_ffff;
        let body = self.body(prompt, params, seed).to_string();
        // u64: `max_retries` may be u32::MAX.
        let attempts = u64::from(self.config.retry.max_retries) + 1;
        let request_name = format!("{}/{index}", params.seed);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(&url, &body, prompt) {
                Ok(text) => return Ok(text),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(why, retry_after)) => {
                    last = self.redact(why);
                    if attempt < attempts {
                        // attempt < attempts <= u32::MAX + 1, so it fits.
                        let retry = u32::try_from(attempt).unwrap_or(u32::MAX);
                        std::thread::sleep(self.config.retry.delay(
                            &request_name,
                            retry,
                            retry_after,
                        ));
                    }
                }
            }
        }
        Err(Error::RetriesExhausted {
            url: redact_url(&url),
            attempts,
            last,
        })
    }

    fn attempt(
        &self,
        url: &str,
        body: &str,
        prompt: &Prompt,
    ) -> std::result::Result<String, Failure> {
        let mut req = self.agent.post(url).content_type("application/json");
        if let Some(key) = &self.api_key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        let mut resp = match req.send(body) {
            Ok(r) => r,
            Err(e) => return Err(self.transport_failure(e)),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let resp_location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(snippet);
        let text = match resp.body_mut().read_to_string() {
            Ok(t) => self.redact(t),
            Err(e) => return Err(self.transport_failure(e)),
        };
        if status == 408 || status == 429 || status >= 500 {
            return Err(Failure::Retry(
                format!("HTTP {status}: {}", snippet(&text)),
                retry_after,
            ));
        }
        if (300..400).contains(&status) {
            let location = resp_location.as_deref().map_or_else(
                || "no location".to_owned(),
                |l| format!("to {}", redact_url(l)),
            );
            return Err(Failure::Fatal(Error::Http {
                url: redact_url(url),
                status,
                body: format!(
                    "a redirect ({location}) is not followed; set `base_url` to the server \
                     that answers"
                ),
            }));
        }
        if !(200..300).contains(&status) {
            return Err(Failure::Fatal(Error::Http {
                url: redact_url(url),
                status,
                body: snippet(&text),
            }));
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Failure::Retry(format!("malformed JSON ({e}): {}", snippet(&text)), None)
        })?;
        let choice = &value["choices"][0];
        let content = match prompt {
            Prompt::Chat(_) => &choice["message"]["content"],
            Prompt::Raw(_) => &choice["text"],
        };
        match content {
            Value::String(s) => Ok(s.clone()),
            Value::Null if choice.is_object() && matches!(prompt, Prompt::Chat(_)) => {
                Ok(String::new())
            }
            _ => Err(Failure::Retry(
                format!("response without generated text: {}", snippet(&text)),
                None,
            )),
        }
    }
}

impl OpenAiCompatible {
    /// `text` with every occurrence of the API key replaced by `<redacted>` (keys shorter
    /// than [`MIN_REDACTED_KEY_LEN`] are left alone).
    fn redact(&self, text: String) -> String {
        // The credentials of the base URL, as ureq may quote the URL in an error.
        let base = &self.config.base_url;
        let redacted_base = redact_url(base);
        let text = if redacted_base != *base && text.contains(base.as_str()) {
            text.replace(base.as_str(), &redacted_base)
        } else {
            text
        };
        match &self.api_key {
            Some(key) if key.len() >= MIN_REDACTED_KEY_LEN && text.contains(key.as_str()) => {
                text.replace(key.as_str(), "<redacted>")
            }
            _ => text,
        }
    }

    /// The failure of a transport error (its message scrubbed of the key, as a peer may
    /// have put anything into the bytes ureq quotes).
    fn transport_failure(&self, e: ureq::Error) -> Failure {
        match e {
            ureq::Error::Timeout(t) => Failure::Retry(format!("timed out ({t})"), None),
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_) => {
                Failure::Retry(self.redact(format!("transport error: {e}")), None)
            }
            other => Failure::Fatal(
                inherit_core::Error::backend("openai-compatible", self.redact(other.to_string()))
                    .into(),
            ),
        }
    }
}

/// `url` with the credentials of its authority (`user:password@`) replaced by
/// `<redacted>@`: what is recorded wherever an endpoint is written (generator ids, hence
/// provenance, manifests and reports; errors; the study's `study.toml`). Other URLs are
/// returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}<redacted>{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_owned(),
    }
}

/// The first 300 characters of a body, on one line.
fn snippet(text: &str) -> String {
    let one_line: String = text
        .chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 300 {
        format!("{one_line}...")
    } else {
        one_line
    }
}

impl TextGenerator for OpenAiCompatible {
    /// `openai-compatible:{model}@{base_url}` (the base URL without trailing slashes): the
    /// same model name on another server is another generator, so the generation cache
    /// never replays one server's outputs for another.
    fn id(&self) -> String {
        format!(
            "openai-compatible:{}@{}",
            self.config.model,
            redact_url(self.config.base_url.trim_end_matches('/'))
        )
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        self.generate_each(prompts, params).into_result()
    }

    /// Prompts run independently on `concurrency` workers; after the first failure no new
    /// prompt starts, and the completions that finished are returned beside the error.
    fn generate_each(&self, prompts: &[Prompt], params: &GenerationParams) -> PartialGeneration {
        if let Err(e) = params.check() {
            return PartialGeneration {
                outputs: vec![None; prompts.len()],
                error: Some(e),
            };
        }
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<Option<Result<String>>>> =
            Mutex::new((0..prompts.len()).map(|_| None).collect());
        let workers = self.config.concurrency.min(prompts.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(prompt) = prompts.get(i) else { break };
                        let out = self.request(i, prompt, params);
                        if out.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        results
                            .lock()
                            .expect("no worker panics while holding the lock")[i] = Some(out);
                    }
                });
            }
        });
        let results = results.into_inner().expect("workers joined");
        let mut outputs = Vec::with_capacity(prompts.len());
        let mut first_error = None;
        for r in results {
            match r {
                Some(Ok(text)) => outputs.push(Some(text)),
                Some(Err(e)) => {
                    first_error.get_or_insert(e);
                    outputs.push(None);
                }
                None => outputs.push(None),
            }
        }
        PartialGeneration {
            outputs,
            error: first_error.map(|e| match e {
                Error::Core(e) => e,
                e => inherit_core::Error::backend("openai-compatible", e),
            }),
        }
    }
}
