//! A scripted OpenAI-compatible test server on 127.0.0.1: one scripted reply per
//! connection, at most `script.len()` connections, and it stops accepting after 10 s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server does with one request.
#[derive(Clone)]
pub enum Reply {
    /// Answer with the request's own prompt: `echo: <last user message>` for chat,
    /// `echo: <prompt>` for completions.
    Echo,
    /// Answer with a status, extra headers and a raw body.
    Status(u16, Vec<(&'static str, &'static str)>, &'static str),
    /// Read the request, then say nothing for this long and close.
    Hang(Duration),
}

/// The running server.
pub struct TestServer {
    pub addr: SocketAddr,
    /// Every request received: request line, headers and body.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

pub fn serve(script: Vec<Reply>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut next = 0;
        while next < script.len() && Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => {
                    let reply = script[next].clone();
                    next += 1;
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || handle(stream, reply, log));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    TestServer { addr, requests }
}

fn handle(stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<String>>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap();
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    log.lock().unwrap().push(format!("{head}{body}"));
    let (status, headers, payload) = match reply {
        Reply::Hang(d) => {
            std::thread::sleep(d);
            return;
        }
        Reply::Status(status, headers, payload) => (status, headers, payload.to_owned()),
        Reply::Echo => {
            let req: serde_json::Value = serde_json::from_str(&body).unwrap();
            let payload = if head.starts_with("POST /v1/chat/completions") {
                let msgs = req["messages"].as_array().unwrap();
                let user = msgs.iter().rev().find(|m| m["role"] == "user").unwrap();
                let content = format!("echo: {}", user["content"].as_str().unwrap());
                serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
            } else {
                let content = format!("echo: {}", req["prompt"].as_str().unwrap());
                serde_json::json!({"choices": [{"index": 0, "text": content}]})
            };
            (200, vec![], payload.to_string())
        }
    };
    let mut out = stream;
    let mut response = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        payload.len()
    );
    for (k, v) in headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&payload);
    let _ = out.write_all(response.as_bytes());
    let _ = out.flush();
}
