//! The OpenAI-compatible backend against a scripted server on 127.0.0.1: success,
//! 429 with Retry-After, 500, a hang past the timeout, malformed JSON, exhausted
//! retries, a non-retryable status, concurrency and the API key.

mod common;

use std::time::{Duration, Instant};

use common::server::{Reply, serve};
use inherit_augment::{Error, OpenAiCompatible, OpenAiConfig, RetryPolicy};
use inherit_core::{GenerationParams, Prompt, TextGenerator};

fn config(base_url: String) -> OpenAiConfig {
    OpenAiConfig {
        timeout_secs: 2.0,
        retry: RetryPolicy {
            max_retries: 3,
            initial_backoff_ms: 10,
            max_backoff_ms: 2000,
            seed: 1,
        },
        ..OpenAiConfig::new(base_url, "test-model")
    }
}

fn params() -> GenerationParams {
    GenerationParams {
        max_tokens: 16,
        ..GenerationParams::default()
    }
}

#[test]
fn success_on_both_endpoints_with_the_key_sent_but_never_shown() {
    let server = serve(vec![Reply::Echo, Reply::Echo]);
    // CARGO_PKG_NAME is set by cargo for every test process: a stand-in for a key variable.
    let cfg = OpenAiConfig {
        api_key_env: Some("CARGO_PKG_NAME".into()),
        concurrency: 1,
        ..config(server.base_url())
    };
    let backend = OpenAiCompatible::new(cfg).unwrap();
    let prompts = [
        Prompt::user("Write about Mei."),
        Prompt::Raw("Once upon".into()),
    ];
    let out = backend.generate(&prompts, &params()).unwrap();
    assert_eq!(out, ["echo: Write about Mei.", "echo: Once upon"]);
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[0].starts_with("POST /v1/chat/completions"),
        "{}",
        reqs[0]
    );
    assert!(reqs[1].starts_with("POST /v1/completions"), "{}", reqs[1]);
    let key = env!("CARGO_PKG_NAME");
    assert!(
        reqs[0]
            .to_ascii_lowercase()
            .contains(&format!("authorization: bearer {key}")),
        "{}",
        reqs[0]
    );
    assert!(reqs[0].contains("\"model\":\"test-model\"") && reqs[0].contains("\"max_tokens\":16"));
    assert!(!reqs[0].contains("top_k"), "top_k is not sent by default");
    let shown = format!("{backend:?}");
    assert!(
        shown.contains("<redacted>") && !shown.contains(&format!("\"{key}\"")),
        "{shown}"
    );
    assert_eq!(
        backend.id(),
        format!("openai-compatible:test-model@{}", server.base_url())
    );
}

/// Regression: the generator id (and so every cache key) omitted the base URL, so
/// switching `--endpoint` replayed another server's outputs from the cache.
#[test]
fn the_generator_id_names_the_endpoint() {
    let a = OpenAiCompatible::new(config("http://127.0.0.1:8000/v1".into())).unwrap();
    let b = OpenAiCompatible::new(config("http://127.0.0.1:8001/v1/".into())).unwrap();
    let a2 = OpenAiCompatible::new(config("http://127.0.0.1:8000/v1/".into())).unwrap();
    assert_ne!(a.id(), b.id());
    assert_eq!(a.id(), a2.id(), "a trailing slash is the same endpoint");
    assert!(a.id().contains("http://127.0.0.1:8000/v1"), "{}", a.id());
    let p = Prompt::user("hi");
    let g = params();
    assert_ne!(
        inherit_augment::cache_key(&a.id(), &p, &g, 0),
        inherit_augment::cache_key(&b.id(), &p, &g, 0)
    );
}

/// Regression: `Retry-After: 1e20` panicked a worker thread (`Duration::from_secs_f64`)
/// and killed the process; it is now capped at `max_backoff_ms`.
#[test]
fn a_huge_retry_after_is_capped_not_a_panic() {
    let server = serve(vec![
        Reply::Status(429, vec![("Retry-After", "1e20")], "{}"),
        Reply::Status(503, vec![("Retry-After", "1e400")], "{}"),
        Reply::Echo,
    ]);
    let mut cfg = config(server.base_url());
    cfg.retry.max_backoff_ms = 50;
    let backend = OpenAiCompatible::new(cfg).unwrap();
    let t0 = Instant::now();
    assert_eq!(
        backend.generate(&[Prompt::user("hi")], &params()).unwrap(),
        ["echo: hi"]
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(server.count(), 3);
}

/// Regression: an HTTP-date `Retry-After` was ignored (the wait fell back to backoff).
#[test]
fn an_http_date_retry_after_is_honoured() {
    let at = httpdate_in(2);
    let header: &'static str = Box::leak(at.into_boxed_str());
    let server = serve(vec![
        Reply::Status(429, vec![("Retry-After", header)], "{}"),
        Reply::Echo,
    ]);
    let backend = OpenAiCompatible::new(config(server.base_url())).unwrap();
    let t0 = Instant::now();
    assert_eq!(
        backend.generate(&[Prompt::user("hi")], &params()).unwrap(),
        ["echo: hi"]
    );
    // Whole seconds: the date is 2 s ahead of a clock already partly into its second.
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
}

/// IMF-fixdate `secs` seconds from now.
fn httpdate_in(secs: u64) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + secs;
    let days = t / 86_400;
    let rem = t % 86_400;
    // Civil from days (H. Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    format!(
        "{wd}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        months[m as usize - 1],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Regression: `--retries 4294967295` overflowed `max_retries + 1` (a panic in debug
/// builds, zero attempts in release).
#[test]
fn the_largest_retry_count_does_not_overflow() {
    let server = serve(vec![Reply::Status(404, vec![], "{\"error\":\"nope\"}")]);
    let mut cfg = config(server.base_url());
    cfg.retry.max_retries = u32::MAX;
    let backend = OpenAiCompatible::new(cfg).unwrap();
    let msg = backend
        .generate(&[Prompt::user("hi")], &params())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("HTTP 404"), "{msg}");
    assert_eq!(server.count(), 1);
}

/// Regression: `--timeout 1e20` panicked in `Duration::from_secs_f64`; it is now a
/// config error naming the field.
#[test]
fn a_huge_timeout_is_a_config_error() {
    for t in [1e20, f64::MAX, f64::INFINITY, f64::NAN, 0.0, -1.0] {
        let cfg = OpenAiConfig {
            timeout_secs: t,
            ..config("http://127.0.0.1:9/v1".into())
        };
        let msg = OpenAiCompatible::new(cfg).unwrap_err().to_string();
        assert!(msg.contains("timeout_secs"), "{t}: {msg}");
    }
}

#[test]
fn rate_limit_waits_for_retry_after_then_succeeds() {
    let server = serve(vec![
        Reply::Status(429, vec![("Retry-After", "1")], "{\"error\":\"slow down\"}"),
        Reply::Echo,
    ]);
    let backend = OpenAiCompatible::new(config(server.base_url())).unwrap();
    let t0 = Instant::now();
    let out = backend.generate(&[Prompt::user("hi")], &params()).unwrap();
    assert_eq!(out, ["echo: hi"]);
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured: {:?}",
        t0.elapsed()
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn server_error_is_retried() {
    let server = serve(vec![
        Reply::Status(500, vec![], "{\"error\":\"boom\"}"),
        Reply::Echo,
    ]);
    let backend = OpenAiCompatible::new(config(server.base_url())).unwrap();
    assert_eq!(
        backend.generate(&[Prompt::user("hi")], &params()).unwrap(),
        ["echo: hi"]
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn a_hang_past_the_timeout_is_retried() {
    let server = serve(vec![Reply::Hang(Duration::from_secs(3)), Reply::Echo]);
    let backend = OpenAiCompatible::new(OpenAiConfig {
        timeout_secs: 0.3,
        ..config(server.base_url())
    })
    .unwrap();
    let t0 = Instant::now();
    assert_eq!(
        backend.generate(&[Prompt::user("hi")], &params()).unwrap(),
        ["echo: hi"]
    );
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn malformed_json_is_retried() {
    let server = serve(vec![
        Reply::Status(200, vec![], "{\"choices\": [oops"),
        Reply::Status(200, vec![], "{\"choices\": []}"),
        Reply::Echo,
    ]);
    let backend = OpenAiCompatible::new(config(server.base_url())).unwrap();
    assert_eq!(
        backend.generate(&[Prompt::user("hi")], &params()).unwrap(),
        ["echo: hi"]
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn exhausted_retries_give_a_clear_error() {
    let server = serve(vec![
        Reply::Status(500, vec![], "{\"error\":\"a\"}"),
        Reply::Status(503, vec![], "{\"error\":\"b\"}"),
        Reply::Status(500, vec![], "{\"error\":\"last straw\"}"),
    ]);
    let mut cfg = config(server.base_url());
    cfg.retry.max_retries = 2;
    let backend = OpenAiCompatible::new(cfg).unwrap();
    let err = backend
        .generate(&[Prompt::user("hi")], &params())
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("gave up after 3 attempts"), "{msg}");
    assert!(
        msg.contains("HTTP 500") && msg.contains("last straw"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{}/chat/completions", server.base_url())),
        "{msg}"
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let server = serve(vec![
        Reply::Status(404, vec![], "{\"error\":\"model not found\"}"),
        Reply::Echo,
    ]);
    let backend = OpenAiCompatible::new(config(server.base_url())).unwrap();
    let msg = backend
        .generate(&[Prompt::user("hi")], &params())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("HTTP 404") && msg.contains("model not found"),
        "{msg}"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn concurrent_requests_keep_prompt_order() {
    let server = serve(vec![Reply::Echo; 6]);
    let backend = OpenAiCompatible::new(OpenAiConfig {
        concurrency: 3,
        ..config(server.base_url())
    })
    .unwrap();
    let prompts: Vec<Prompt> = (0..6).map(|i| Prompt::user(format!("p{i}"))).collect();
    let out = backend.generate(&prompts, &params()).unwrap();
    assert_eq!(
        out,
        (0..6).map(|i| format!("echo: p{i}")).collect::<Vec<_>>()
    );
    assert_eq!(server.count(), 6);
}

#[test]
fn a_missing_key_variable_or_bad_config_is_a_clear_error() {
    let cfg = OpenAiConfig {
        api_key_env: Some("INHERIT_AUGMENT_TEST_NO_SUCH_VARIABLE".into()),
        ..config("http://127.0.0.1:9/v1".into())
    };
    match OpenAiCompatible::new(cfg) {
        Err(Error::MissingApiKey { var }) => {
            assert_eq!(var, "INHERIT_AUGMENT_TEST_NO_SUCH_VARIABLE")
        }
        other => panic!("expected MissingApiKey, got {other:?}"),
    }
    let msg = OpenAiCompatible::new(config("127.0.0.1:8000".into()))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("base_url"), "{msg}");
    let cfg = OpenAiConfig {
        concurrency: 0,
        ..config("http://127.0.0.1:9/v1".into())
    };
    assert!(
        OpenAiCompatible::new(cfg)
            .unwrap_err()
            .to_string()
            .contains("concurrency")
    );
}
