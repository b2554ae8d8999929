//! The OpenAI-compatible backend against a hostile server on 127.0.0.1: huge, garbage and
//! HTTP-date `Retry-After`s, a body over the size cap, a slow drip past the timeout,
//! connection resets and early closes, 200s with garbage JSON, and a server that echoes
//! the request (API key included) back in its bodies.
//!
//! Each batch either finishes with the right outputs or fails cleanly after its retry
//! budget, and every completed batch is in the generation cache. The scenarios run in a
//! child process (this test binary, re-run with an environment variable) that holds a
//! real-looking API key in its environment; the parent then asserts that the key appears
//! nowhere: not in the child's stdout or stderr (where every error is printed, `Display`
//! and `Debug`), not in any file the run wrote.
//!
//! The server is bounded: it serves at most `MAX_CONNECTIONS` connections, stops
//! accepting after `SERVER_LIFETIME` or when dropped, and every connection thread ends
//! within a few seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inherit_augment::{
    AugmentParams, Augmenter, BiasPrompt, CacheRecord, NameTable, OpenAiCompatible, OpenAiConfig,
    PromptBuilder, PromptSource, PromptSpec, RetryPolicy, Templates, default_lexicon,
};
use inherit_core::{BiasType, GenerationParams, Prompt, TextGenerator};

/// Set (to the scratch folder) in the child process.
const CHILD_ENV: &str = "INHERIT_HOSTILE_CHILD_DIR";
/// The variable holding the API key in the child.
const KEY_ENV: &str = "INHERIT_HOSTILE_TEST_KEY";
const MAX_CONNECTIONS: usize = 400;
const SERVER_LIFETIME: Duration = Duration::from_secs(60);
/// ureq's body limit (10 MB) plus a little.
const OVER_CAP: usize = 10 * 1024 * 1024 + 4096;

// ---------------------------------------------------------------------------------------
// The server.

/// What the server does with one connection.
#[derive(Clone, Debug)]
enum Act {
    /// 200 with `echo: <last user message>` (chat) or `echo: <prompt>` (completions).
    Echo,
    /// 429 with this raw `Retry-After` value.
    RetryAfter(&'static [u8]),
    /// A status with a raw body.
    Status(u16, &'static [u8]),
    /// A status whose body is the whole request, headers (and the API key) included.
    EchoRequest(u16),
    /// 200 whose generated text is the whole request.
    EchoRequestAsContent,
    /// 200 with a `Content-Length` body of this many bytes (valid JSON, too long).
    Huge(usize),
    /// 200 with a chunked body that never ends (until the client hangs up or the time
    /// limit).
    Endless,
    /// Headers, then one body byte every `Duration`, for at most 4 s.
    Drip(Duration),
    /// Close at once without reading the request (the kernel answers with a reset).
    Reset,
    /// Read the request, send half a status line, close.
    CloseMidHeaders,
    /// Read the request, promise 200 bytes, send 10, close.
    CloseMidBody,
}

struct Hostile {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    then: Arc<Mutex<Vec<Act>>>,
}

impl Hostile {
    /// Serves `script` (one act per connection, in order), then `then` for every later
    /// connection.
    fn start(script: Vec<Act>, then: Vec<Act>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (Arc::clone(&connections), Arc::clone(&stop));
        let then = Arc::new(Mutex::new(then));
        let after = Arc::clone(&then);
        std::thread::spawn(move || {
            let deadline = Instant::now() + SERVER_LIFETIME;
            let mut n = 0;
            while n < MAX_CONNECTIONS
                && Instant::now() < deadline
                && !stopped.load(Ordering::SeqCst)
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let then = after.lock().unwrap();
                        let act = match script.get(n) {
                            Some(a) => a.clone(),
                            None if then.is_empty() => Act::Echo,
                            None => then[(n - script.len()) % then.len()].clone(),
                        };
                        drop(then);
                        n += 1;
                        count.fetch_add(1, Ordering::SeqCst);
                        std::thread::spawn(move || handle(stream, act));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Hostile {
            addr,
            connections,
            stop,
            then,
        }
    }

    /// From now on, answers every connection past the script with `acts` in turn (an
    /// echo if empty).
    fn set_then(&self, acts: Vec<Act>) {
        *self.then.lock().unwrap() = acts;
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one request: its head (request line and headers) and body.
fn read_request(stream: &TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().ok()?;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; content_length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}

/// The JSON body of a successful completion holding `content`.
fn completion(chat: bool, content: &str) -> String {
    if chat {
        serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
    } else {
        serde_json::json!({"choices": [{"index": 0, "text": content}]})
    }
    .to_string()
}

/// What the echo server answers to `prompt`.
fn echo_of(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Chat(msgs) => {
            let user = msgs.iter().rev().find(|m| m.role == "user").unwrap();
            format!("echo: {}", user.content)
        }
        Prompt::Raw(text) => format!("echo: {text}"),
    }
}

fn respond(stream: &mut TcpStream, status: u16, extra: &[(&str, &[u8])], body: &[u8]) {
    let mut out = format!(
        "HTTP/1.1 {status} Hostile\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (k, v) in extra {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    let _ = stream.write_all(&out);
    let _ = stream.flush();
}

fn handle(mut stream: TcpStream, act: Act) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    if let Act::Reset = act {
        // Wait for the request to arrive, then close with it unread: a reset.
        let mut probe = [0u8; 1];
        let _ = stream.peek(&mut probe);
        return;
    }
    let Some((head, body)) = read_request(&stream) else {
        return;
    };
    let chat = head.starts_with("POST /v1/chat/completions");
    let request = format!("{head}{body}");
    match act {
        Act::Reset => unreachable!(),
        Act::Echo => {
            let req: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let content = if chat {
                let msgs = req["messages"].as_array().cloned().unwrap_or_default();
                let user = msgs.iter().rev().find(|m| m["role"] == "user");
                format!(
                    "echo: {}",
                    user.and_then(|u| u["content"].as_str()).unwrap_or_default()
                )
            } else {
                format!("echo: {}", req["prompt"].as_str().unwrap_or_default())
            };
            respond(&mut stream, 200, &[], completion(chat, &content).as_bytes());
        }
        Act::RetryAfter(value) => respond(
            &mut stream,
            429,
            &[("Retry-After", value)],
            b"{\"error\":\"slow down\"}",
        ),
        Act::Status(status, body) => respond(&mut stream, status, &[], body),
        Act::EchoRequest(status) => respond(&mut stream, status, &[], request.as_bytes()),
        Act::EchoRequestAsContent => {
            respond(&mut stream, 200, &[], completion(chat, &request).as_bytes())
        }
        Act::Huge(n) => {
            let mut payload = completion(chat, "").into_bytes();
            // Pad the JSON with whitespace before its closing brace, up to n bytes.
            let close = payload.pop().unwrap();
            payload.resize(n - 1, b' ');
            payload.push(close);
            respond(&mut stream, 200, &[], &payload);
        }
        Act::Endless => {
            let head = "HTTP/1.1 200 Hostile\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if stream.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
        }
        Act::Drip(every) => {
            let head = "HTTP/1.1 200 Hostile\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let deadline = Instant::now() + Duration::from_secs(4);
            while Instant::now() < deadline {
                if stream
                    .write_all(b" ")
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(every);
            }
        }
        Act::CloseMidHeaders => {
            let _ = stream.write_all(b"HTTP/1.1 200 O");
        }
        Act::CloseMidBody => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 Hostile\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"choices\":",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The client side, run in the child.

const N_PROMPTS: usize = 9;
const BATCH: usize = 3;

fn prompts() -> Vec<BiasPrompt> {
    let bias: BiasType = "contrastive-single-explicit".parse().unwrap();
    let builder = PromptBuilder::new(
        PromptSpec::new("occupation", bias).seed(5),
        &Templates::builtin(),
        &NameTable::builtin(),
    )
    .unwrap();
    (0..N_PROMPTS).map(|i| builder.build(i).unwrap()).collect()
}

fn config(base_url: String, max_retries: u32) -> OpenAiConfig {
    OpenAiConfig {
        api_key_env: Some(KEY_ENV.into()),
        concurrency: 2,
        timeout_secs: 1.0,
        retry: RetryPolicy {
            max_retries,
            initial_backoff_ms: 1,
            max_backoff_ms: 40,
            seed: 3,
        },
        ..OpenAiConfig::new(base_url, "hostile-model")
    }
}

fn params() -> AugmentParams {
    let mut p = AugmentParams {
        progress: false,
        batch_size: BATCH,
        ..AugmentParams::default()
    };
    p.generation = GenerationParams {
        max_tokens: 32,
        seed: 11,
        ..GenerationParams::default()
    };
    p
}

/// Runs the 9 prompts through the augmenter with the cache at `cache`.
fn augment(backend: &OpenAiCompatible, cache: &Path) -> inherit_augment::Result<usize> {
    let lexicon = default_lexicon(&NameTable::builtin());
    let mut aug = Augmenter::new(backend, &lexicon, params())?.with_cache(cache)?;
    Ok(aug.run(&Fixed(prompts()), N_PROMPTS)?.report.generated)
}

/// A fixed list of prompts.
struct Fixed(Vec<BiasPrompt>);

impl PromptSource for Fixed {
    fn limit(&self) -> Option<usize> {
        Some(self.0.len())
    }

    fn prompt(&self, index: usize) -> inherit_augment::Result<BiasPrompt> {
        self.0.as_slice().prompt(index)
    }
}

/// The cache's records by prompt id.
fn cached(path: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let r: CacheRecord = serde_json::from_str(l).unwrap();
            (r.prompt_id, r.output)
        })
        .collect()
}

/// Asserts that every record of the cache is the echo of its own prompt, once; returns
/// how many there are.
fn assert_cache_holds_correct_subset(path: &Path) -> usize {
    let cache = cached(path);
    for p in prompts().iter().filter(|p| cache.contains_key(&p.id)) {
        assert_eq!(
            cache.get(&p.id),
            Some(&echo_of(&p.prompt)),
            "prompt {}",
            p.id
        );
    }
    let lines = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(lines.lines().count(), cache.len(), "no record doubled");
    cache.len()
}

/// Asserts that the cache holds exactly the first `n` prompts, each with its echo.
fn assert_cache_holds_first(path: &Path, n: usize) {
    let cache = cached(path);
    let prompts = prompts();
    assert_eq!(cache.len(), n, "{cache:#?}");
    for p in &prompts[..n] {
        assert_eq!(
            cache.get(&p.id),
            Some(&echo_of(&p.prompt)),
            "prompt {}",
            p.id
        );
    }
    let lines = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(lines.lines().count(), n, "no record doubled");
}

/// Prints an error the way a user would see it (both forms), so the parent can check
/// that no key is in it.
fn show(what: &str, e: &dyn std::fmt::Debug, d: &dyn std::fmt::Display) {
    println!("[{what}] error: {d}");
    println!("[{what}] debug: {e:?}");
}

/// Every bad answer a request can meet and recover from.
fn recoverable_acts() -> Vec<Act> {
    vec![
        Act::RetryAfter(b"1e20"),
        Act::RetryAfter(b"99999999999999999999999999999999"),
        Act::RetryAfter(b"1e400"),
        Act::RetryAfter(b"soon"),
        Act::RetryAfter(b"-3"),
        Act::RetryAfter(b"NaN"),
        Act::RetryAfter(b"inf"),
        Act::RetryAfter(b""),
        Act::RetryAfter(b"\xff\xfe\x01"),
        Act::RetryAfter(b"Fri, 31 Dec 9999 23:59:59 GMT"),
        Act::RetryAfter(b"Sunday, 06-Nov-94 08:49:37 GMT"),
        Act::RetryAfter(b"Sun Nov  6 08:49:37 1994"),
        Act::RetryAfter(b"Mon, 99 Foo 2025 25:61:61 GMT"),
        Act::Status(503, b"{\"error\":\"overloaded\"}"),
        Act::EchoRequest(500),
        Act::Drip(Duration::from_millis(100)),
        Act::Reset,
        Act::CloseMidHeaders,
        Act::CloseMidBody,
        Act::Status(200, b"{\"choices\": [oops"),
        Act::Status(200, b"\xff\x00\xfe not json at all"),
        Act::Status(200, b"null"),
        Act::Status(200, b"{\"choices\":[{\"message\":{\"content\":42}}]}"),
        Act::Status(200, b"{\"choices\":[]}"),
        Act::Status(200, b""),
    ]
}

/// Every hostile answer once, spread over the batch's requests; the retry budget covers
/// them all, so the batch finishes with the right outputs.
fn scenario_recoverable(dir: &Path) {
    let acts = recoverable_acts();
    let budget = acts.len() as u32;
    let server = Hostile::start(acts.clone(), vec![]);
    let backend = OpenAiCompatible::new(config(server.base_url(), budget)).unwrap();
    let cache = dir.join("recoverable.jsonl");
    let t0 = Instant::now();
    let generated = augment(&backend, &cache).unwrap_or_else(|e| {
        show("recoverable", &e, &e);
        panic!("the batch should finish: {e}")
    });
    println!(
        "[recoverable] {generated} generated over {} connections in {:?}",
        server.count(),
        t0.elapsed()
    );
    assert_eq!(generated, N_PROMPTS);
    assert_eq!(server.count(), N_PROMPTS + acts.len());
    assert_cache_holds_first(&cache, N_PROMPTS);
    // Capped waits: the 1e20 and year-9999 Retry-Afters wait 40 ms, not forever. The
    // drip costs one 1 s timeout.
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    // A rerun (same endpoint, so same cache keys) finds everything in the cache and sends
    // nothing: any request would now be reset.
    server.set_then(vec![Act::Reset]);
    let before = server.count();
    let backend = OpenAiCompatible::new(config(server.base_url(), 0)).unwrap();
    assert_eq!(augment(&backend, &cache).unwrap(), 0);
    assert_eq!(server.count(), before);
}

/// The server turns hostile for good after the first batch: the run fails cleanly after
/// its retry budget, with the first batch in the cache; a resume against a healthy server
/// asks only for the rest and ends with the full, right cache.
fn scenario_exhausted(dir: &Path) {
    let forever_bad = vec![
        Act::EchoRequest(503),
        Act::Reset,
        Act::Status(200, b"{\"choices\": [oops"),
        Act::RetryAfter(b"1e20"),
        Act::CloseMidBody,
    ];
    let server = Hostile::start(vec![Act::Echo; BATCH], forever_bad);
    let max_retries = 3;
    let backend = OpenAiCompatible::new(config(server.base_url(), max_retries)).unwrap();
    let cache = dir.join("exhausted.jsonl");
    let err = augment(&backend, &cache).unwrap_err();
    show("exhausted", &err, &err);
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("gave up after {} attempts", max_retries + 1)),
        "{msg}"
    );
    // Batch 0 finished and is cached; batch 1 failed whole; batch 2 was never sent.
    assert_cache_holds_first(&cache, BATCH);
    // Each request of batch 1 stops after at most 1 + max_retries attempts.
    assert!(
        server.count() <= BATCH + BATCH * (max_retries as usize + 1),
        "{}",
        server.count()
    );
    // The server heals; the resume (same endpoint) asks only for the missing prompts.
    server.set_then(vec![]);
    let before = server.count();
    let backend = OpenAiCompatible::new(config(server.base_url(), 0)).unwrap();
    assert_eq!(augment(&backend, &cache).unwrap(), N_PROMPTS - BATCH);
    assert_eq!(
        server.count() - before,
        N_PROMPTS - BATCH,
        "only the missing prompts"
    );
    assert_cache_holds_first(&cache, N_PROMPTS);
}

/// Bodies over ureq's 10 MB cap (with a length, and chunked without end): the client
/// reads no more than the cap and the batch fails at once with an error naming it, or
/// (if retried) finishes with the right outputs; it never hangs or grows without bound.
fn scenario_over_cap(dir: &Path) {
    for (name, act) in [("huge", Act::Huge(OVER_CAP)), ("endless", Act::Endless)] {
        let server = Hostile::start(vec![act], vec![]);
        let backend = OpenAiCompatible::new(config(server.base_url(), 2)).unwrap();
        let cache = dir.join(format!("{name}.jsonl"));
        let t0 = Instant::now();
        match augment(&backend, &cache) {
            Ok(generated) => {
                println!("[{name}] retried and finished");
                assert_eq!(generated, N_PROMPTS);
                assert_cache_holds_first(&cache, N_PROMPTS);
            }
            Err(e) => {
                show(name, &e, &e);
                let msg = e.to_string();
                assert!(
                    msg.contains("limit") || msg.contains("exceed"),
                    "an error naming the size cap: {msg}"
                );
                // The prompts of the failed batch that did finish are cached (each with its
                // own echo, once); the one that met the oversized body is not.
                let kept = assert_cache_holds_correct_subset(&cache);
                assert!(kept < BATCH, "the failed prompt is not cached ({kept})");
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    }
}

/// A server that echoes the request (with its `Authorization` header) as generated text,
/// and in the body of a fatal 400: the key is redacted from the output (and so from the
/// cache) and from the error.
fn scenario_echoed_key(dir: &Path) {
    let key = std::env::var(KEY_ENV).unwrap();
    let server = Hostile::start(vec![Act::EchoRequestAsContent; N_PROMPTS], vec![]);
    let backend = OpenAiCompatible::new(config(server.base_url(), 0)).unwrap();
    let cache = dir.join("echoed.jsonl");
    augment(&backend, &cache).unwrap();
    let outputs = cached(&cache);
    assert_eq!(outputs.len(), N_PROMPTS);
    for out in outputs.values() {
        assert!(
            out.to_ascii_lowercase()
                .contains("authorization: bearer <redacted>"),
            "the echoed header is there, without the key: {out}"
        );
        assert!(!out.contains(&key));
    }
    let server = Hostile::start(vec![Act::EchoRequest(400)], vec![]);
    let backend = OpenAiCompatible::new(config(server.base_url(), 0)).unwrap();
    let err = backend
        .generate(&[Prompt::user("hi")], &GenerationParams::default())
        .unwrap_err();
    show("echoed-400", &err, &err);
    let msg = err.to_string();
    assert!(
        msg.contains("HTTP 400") && msg.contains("<redacted>"),
        "{msg}"
    );
    assert!(!msg.contains(&key) && !format!("{err:?}").contains(&key));
    println!("[echoed] backend: {backend:?}");
}

/// The child: runs every scenario, printing progress and every error.
#[test]
fn hostile_scenarios_in_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful in the child process started below
    };
    let dir = PathBuf::from(dir);
    let key = std::env::var(KEY_ENV).expect("the parent sets the key");
    assert!(key.len() >= inherit_augment::openai::MIN_REDACTED_KEY_LEN);
    scenario_recoverable(&dir);
    scenario_exhausted(&dir);
    scenario_over_cap(&dir);
    scenario_echoed_key(&dir);
    println!("HOSTILE-SCENARIOS-DONE");
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The parent: runs the scenarios in a child holding the key, within a time limit, and
/// checks that the key is in none of its output or files.
#[test]
fn a_hostile_server_never_panics_loses_a_batch_or_sees_the_key_leak() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let key = format!("sk-hostile-{:x}{:x}", nanos, std::process::id());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hostile_scenarios_in_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .env(KEY_ENV, &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads (so the child never blocks on a full pipe), and bound
    // the wait.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the hostile scenarios took longer than 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_t.join().unwrap();
    let stderr = err_t.join().unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    assert!(status.success(), "child failed:\n{text}");
    assert!(
        text.contains("HOSTILE-SCENARIOS-DONE"),
        "the scenarios ran:\n{text}"
    );
    assert!(
        text.contains("error:"),
        "errors were printed (and checked):\n{text}"
    );
    let needle = key.as_bytes();
    let contains = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&stdout), "the key leaked to stdout:\n{text}");
    assert!(!contains(&stderr), "the key leaked to stderr:\n{text}");
    let written = files(dir.path());
    assert!(written.len() >= 5, "{written:?}");
    for path in written {
        let bytes = std::fs::read(&path).unwrap();
        assert!(!contains(&bytes), "the key leaked into {}", path.display());
    }
}
