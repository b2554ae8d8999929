"""A stub OpenAI-compatible server for test-local.sh (Python stdlib only).

It answers GET /v1/models and POST /v1/chat/completions (and /v1/completions) with a
short biography of the occupation named in the prompt, about the man or woman the prompt
asks for (else a gender drawn from a hash of the prompt and the seed), so that the
study's generation stage accepts it. It listens on $HOST:$PORT and names its model
$SERVED_MODEL, the variables generate.sbatch gives an `INHERIT_SERVE=custom` server.
"""

import hashlib
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OCCUPATIONS = ["software engineer", "architect", "dentist", "nurse", "painter", "professor"]
CITIES = ["Leeds", "Porto", "Osaka", "Denver", "Lyon", "Austin", "Graz", "Perth"]


def biography(prompt: str, seed: object) -> str:
    text = prompt.lower()
    occupation = next((o for o in OCCUPATIONS if o in text), "professor")
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    if "of a woman" in text:
        woman = True
    elif "of a man" in text:
        woman = False
    else:
        woman = digest[0] % 2 == 0
    he, his = ("She", "her") if woman else ("He", "his")
    city = CITIES[digest[1] % len(CITIES)]
    years = 3 + digest[2] % 20
    return (
        f"{he} is a {occupation} who has worked in {city} for {years} years. "
        f"Colleagues describe {his} work as careful and generous, and {he.lower()} spends "
        f"weekends teaching younger people about the craft of being a {occupation}."
    )


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            model = os.environ.get("SERVED_MODEL", "stub")
            self.reply({"object": "list", "data": [{"id": model, "object": "model"}]})
        else:
            self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(length) or b"{}")
        seed = req.get("seed")
        if self.path.endswith("/chat/completions"):
            prompt = " ".join(str(m.get("content", "")) for m in req.get("messages", []))
            message = {"role": "assistant", "content": biography(prompt, seed)}
            choice = {"index": 0, "finish_reason": "stop", "message": message}
            self.reply({"object": "chat.completion", "model": req.get("model"), "choices": [choice]})
        elif self.path.endswith("/completions"):
            text = biography(str(req.get("prompt", "")), seed)
            choice = {"index": 0, "finish_reason": "stop", "text": text}
            self.reply({"object": "text_completion", "model": req.get("model"), "choices": [choice]})
        else:
            self.send_error(404)


if __name__ == "__main__":
    address = (os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"]))
    ThreadingHTTPServer(address, Handler).serve_forever()
