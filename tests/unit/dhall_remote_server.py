#!/usr/bin/env python3
"""tests/unit/dhall_remote_server.py SUITE — the remote hosts of the Dhall
standard's import tests, served from 127.0.0.1 (never any other address),
for test_dhall_eval.c. SUITE is the dhall-lang checkout (../shared/dhall).

The test maps each logical host to a path prefix here:

  https://raw.githubusercontent.com/  ->  /github/
      /github/dhall-lang/dhall-lang/<ref>/<path>: the file <path> of SUITE
      (whatever <ref>: we have one checkout), with the header
      `Access-Control-Allow-Origin: *` as GitHub sends it;
      /github/Nadrieril/dhall-rust/<ref>/...: the four one-line files of
      dhall-rust's asLocation tests that the RemoteChain tests import.
  https://test.dhall-lang.org/        ->  /test/
      what dhall-lang's nixops/logical.nix serves: /random-string (a new
      string per request), /foo and /bar (403 without a `Test` header),
      /cors/*.dhall with the Access-Control-Allow-Origin each test expects.
  https://httpbin.org/                ->  /httpbin/
      /user-agent and /headers echo the request's headers as JSON.
  https://prelude.dhall-lang.org/     ->  /prelude/
      the files of SUITE/Prelude, with `Access-Control-Allow-Origin: *`.

Anything else is 404 "Not Found". The port is chosen by the kernel and
printed on the first line of stdout. The server stops by itself when its
standard input reaches end of file (the test closes it, or dies) or after
SIGIL_TEST_SERVER_SECONDS (default 600) seconds, whichever comes first.
"""
import http.server
import json
import os
import sys
import threading

SUITE = os.path.realpath(sys.argv[1])
GITHUB = "https://raw.githubusercontent.com"
TEST = "https://test.dhall-lang.org"
GITHUB_CORS = GITHUB + "/dhall-lang/dhall-lang/5ff7ecd2411894dd9ce307dc23020987361d2d43/tests/import/data/cors/"

RUST = {  # dhall-rust f7d8c64a, dhall/tests/import/success/unit/…
    "asLocation/Canonicalize3A.dhall": "./../bar/import.dhall as Location\n",
    "asLocation/Canonicalize5A.dhall": "./foo/../../bar/import.dhall as Location\n",
    "asLocation/MissingA.dhall": "missing as Location\n",
    "asLocation/EnvA.dhall": "env:HOME as Location\n",
    "bar/import.dhall": "2\n",
}

# test.dhall-lang.org/cors/NAME: (Access-Control-Allow-Origin or None, body)
CORS = {
    "AllowedAll.dhall": ("*", "42"),
    "OnlyGithub.dhall": (GITHUB, "42"),
    "OnlySelf.dhall": (TEST, "42"),
    "OnlyOther.dhall": ("https://example.com", "42"),
    "Empty.dhall": ("", "42"),
    "NoCORS.dhall": (None, "42"),
    "Null.dhall": ("null", "42"),
    "SelfImportAbsolute.dhall": ("*", TEST + "/cors/NoCORS.dhall"),
    "SelfImportRelative.dhall": ("*", "./NoCORS.dhall"),
    "TwoHopsFail.dhall": ("*", GITHUB_CORS + "OnlySelf.dhall"),
    "TwoHopsSuccess.dhall": ("*", GITHUB_CORS + "OnlyGithub.dhall"),
}


def read_under(root, rel):
    path = os.path.realpath(os.path.join(root, rel))
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    counter = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def answer(self, status, body, acao=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if acao is not None:
            self.send_header("Access-Control-Allow-Origin", acao)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host, _, path = self.path.lstrip("/").partition("/")
        path = path.split("?", 1)[0]
        if host == "github":
            owner_repo = path.split("/", 3)
            if len(owner_repo) == 4 and owner_repo[:2] == ["dhall-lang", "dhall-lang"]:
                body = read_under(SUITE, owner_repo[3])
                if body is not None:
                    return self.answer(200, body, "*")
            pre = "dhall/tests/import/success/unit/"
            if len(owner_repo) == 4 and owner_repo[:2] == ["Nadrieril", "dhall-rust"] \
                    and owner_repo[3].startswith(pre) and owner_repo[3][len(pre):] in RUST:
                return self.answer(200, RUST[owner_repo[3][len(pre):]], "*")
        elif host == "test":
            if path == "random-string":
                with Handler.lock:
                    Handler.counter += 1
                    n = Handler.counter
                return self.answer(200, "dhall-test-random-string-%d\n" % n)
            if path in ("foo", "bar"):
                if self.headers.get("Test", "").lower() != "example":
                    return self.answer(403, "Forbidden\n")
                return self.answer(200, "./bar\n" if path == "foo" else "True\n")
            if path.startswith("cors/") and path[5:] in CORS:
                acao, body = CORS[path[5:]]
                return self.answer(200, body + "\n", acao)
        elif host == "httpbin":
            if path == "user-agent":
                ua = self.headers.get("User-Agent", "")
                return self.answer(200, '{\n  "user-agent": %s\n}\n' % json.dumps(ua), "*")
            if path == "headers":
                return self.answer(200, json.dumps({"headers": dict(self.headers)}, indent=2) + "\n", "*")
        elif host == "prelude":
            body = read_under(os.path.join(SUITE, "Prelude"), path)
            if body is not None:
                return self.answer(200, body, "*")
        return self.answer(404, "Not Found\n")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    done = threading.Event()

    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait(float(os.environ.get("SIGIL_TEST_SERVER_SECONDS", "600")))
    server.shutdown()


if __name__ == "__main__":
    main()
