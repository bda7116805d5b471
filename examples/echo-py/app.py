"""A tiny HTTP program deployed as an image-style service: it echoes what it is sent.

Standard library only. Listens on $PORT (the platform sets it), finishes in-flight requests on SIGTERM.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = os.environ.get("ECHO_VERSION", "1")


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per call.
    disable_nagle_algorithm = True

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Echo-Version", VERSION)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._answer(200, body, self.headers.get("Content-Type") or "application/octet-stream")

    do_PUT = do_POST

    def do_GET(self):
        info = {"service": os.environ.get("EAS_SERVICE_NAME", "echo"), "version": VERSION, "path": self.path,
                "instance": os.environ.get("EAS_INSTANCE_ID", "")}
        self._answer(200, json.dumps(info).encode(), "application/json")

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Echo)
    server.daemon_threads = True

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"echo version {VERSION} listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
