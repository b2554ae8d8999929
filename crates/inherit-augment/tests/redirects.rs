//! Redirects and credentials in the endpoint, against local servers on 127.0.0.1.

mod common;

use common::server::{Reply, serve};
use inherit_augment::openai::redact_url;
use inherit_augment::{OpenAiCompatible, OpenAiConfig, RetryPolicy};
use inherit_core::{GenerationParams, Prompt, TextGenerator};

fn config(base_url: String) -> OpenAiConfig {
    OpenAiConfig {
        timeout_secs: 2.0,
        retry: RetryPolicy {
            max_retries: 2,
            initial_backoff_ms: 10,
            max_backoff_ms: 100,
            seed: 1,
        },
        ..OpenAiConfig::new(base_url, "test-model")
    }
}

/// Regression: HTTP redirects were followed, to another origin too, carrying the request
/// (and its `Authorization` header) there.
#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = serve(vec![Reply::Echo, Reply::Echo]);
    let location: &'static str =
        Box::leak(format!("{}/chat/completions", elsewhere.base_url()).into_boxed_str());
    for status in [301, 302, 307, 308] {
        let server = serve(vec![Reply::Status(
            status,
            vec![("Location", location)],
            "",
        )]);
        let cfg = OpenAiConfig {
            api_key_env: Some("CARGO_PKG_NAME".into()),
            concurrency: 1,
            ..config(server.base_url())
        };
        let backend = OpenAiCompatible::new(cfg).unwrap();
        let err = backend
            .generate(&[Prompt::user("hi")], &GenerationParams::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&status.to_string()) && err.contains("not followed"),
            "{status}: {err}"
        );
        assert!(
            err.contains(location),
            "the error names where it pointed: {err}"
        );
        assert_eq!(server.count(), 1, "{status}: not retried");
    }
    assert_eq!(elsewhere.count(), 0, "the other origin was reached");
}

/// Regression: `http://user:pw@host` endpoints were recorded with their credentials (the
/// generator id goes into provenance, the manifest and the report; errors name the URL).
#[test]
fn credentials_in_the_endpoint_are_redacted_in_the_id_and_in_errors() {
    assert_eq!(
        redact_url("http://alice:pw@127.0.0.1:8000/v1"),
        "http://<redacted>@127.0.0.1:8000/v1"
    );
    assert_eq!(
        redact_url("https://tok@host/v1?x=a@b"),
        "https://<redacted>@host/v1?x=a@b"
    );
    assert_eq!(redact_url("http://host/v1/a@b"), "http://host/v1/a@b");
    assert_eq!(redact_url("not a url"), "not a url");

    let server = serve(vec![Reply::Status(404, vec![], "no such model")]);
    let url = format!("http://alice:s3cr3t-pw@{}/v1", server.addr);
    let backend = OpenAiCompatible::new(config(url)).unwrap();
    let id = backend.id();
    assert!(
        !id.contains("s3cr3t-pw") && id.contains("<redacted>@"),
        "{id}"
    );
    let err = backend
        .generate(&[Prompt::user("hi")], &GenerationParams::default())
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("404"), "{text}");
    assert!(!text.contains("s3cr3t-pw"), "{text}");

    // Retries exhausted on a closed port: the URL in the error is redacted too.
    let backend =
        OpenAiCompatible::new(config("http://bob:0th3r-pw@127.0.0.1:9/v1".into())).unwrap();
    let err = backend
        .generate(&[Prompt::user("hi")], &GenerationParams::default())
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("0th3r-pw"), "{text}");
}
