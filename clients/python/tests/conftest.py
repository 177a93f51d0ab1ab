"""Fixtures: a real ``fits-ingest serve`` (the built CLI, dist/cli/main.js) on 127.0.0.1 with its own archive, and
raw KCWI frames made by the project's simulator. Run ``npm run build`` first (``npm test`` does)."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import http.server

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from fits_ingest_client import Client  # noqa: E402

CLI = os.path.join(ROOT, "dist", "cli", "main.js")
TOKENS = {
    "summit": "summit-token-0123456789abcdef-kcwi",
    "drp": "drp-token-0123456789abcdef-pipeline",
    "hires": "hires-token-0123456789abcdef-other",
}


class Server:
    def __init__(self, root):
        if not os.path.exists(CLI):
            raise RuntimeError(f"{CLI} is missing: run npm run build first (npm test does)")
        self.root = root
        self.archive = os.path.join(root, "archive")
        tokens = os.path.join(root, "tokens.json")
        with open(tokens, "w") as f:
            json.dump({"tokens": [
                {"site": "summit", "token": TOKENS["summit"], "scopes": ["push", "read"], "instruments": ["KCWI"]},
                {"site": "kcwi-drp", "token": TOKENS["drp"], "scopes": ["push", "read"]},
                {"site": "hires-drp", "token": TOKENS["hires"], "scopes": ["push", "read"], "instruments": ["HIRES"]},
            ]}, f)
        self.process = subprocess.Popen(
            ["node", CLI, "serve", "--archive", self.archive, "--port", "0", "--tokens", tokens, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("fits-ingest serve did not start: " + self.process.stderr.read())
        self.url = json.loads(line)["url"]

    def client(self, who="drp"):
        return Client(self.url, token=TOKENS[who], timeout=30)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def server():
    root = tempfile.mkdtemp(prefix="fits-ingest-pytest-")
    s = Server(root)
    yield s
    s.stop()


_frame_numbers = iter(range(1, 100000))


def make_frames(directory, count, kind="object", night_hour=8, **options):
    """Raw KCWI frames (the project's simulator) written into ``directory``; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    numbers = [next(_frame_numbers) for _ in range(count)]
    script = """
const { makeFrame, frameName } = await import(process.argv[1]);
const { writeFileSync } = await import('node:fs');
const [dir, kind, hour, options, numbers] = [process.argv[2], process.argv[3], Number(process.argv[4]), JSON.parse(process.argv[5]), JSON.parse(process.argv[6])];
for (const n of numbers) {
  const o = { time: new Date(Date.UTC(2026, 10, 20, hour, 0, n)), frameNumber: n, axes: [64, 64], kind, ...options };
  const path = dir + '/' + frameName(o);
  writeFileSync(path, makeFrame(o));
  console.log(path);
}
"""
    out = subprocess.run(["node", "--input-type=module", "-e", script, os.path.join(ROOT, "dist", "simulator", "index.js"), directory, kind,
                          str(night_hour), json.dumps(options), json.dumps(numbers)], check=True, capture_output=True, text=True)
    return out.stdout.split()


@pytest.fixture
def frames(tmp_path):
    return lambda count, kind="object", **options: make_frames(str(tmp_path / kind), count, kind, **options)


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 503 while ``down`` and keeps what it accepted."""

    def __init__(self):
        self.down = False
        self.refused = 0
        self.bodies = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.down:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.bodies.append((body, self.headers.get("X-Fits-Ingest-Signature")))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
