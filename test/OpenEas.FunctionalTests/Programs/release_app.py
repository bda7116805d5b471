"""A test program for releases: echoes the body and names its version; may fail or be slow on purpose.

Standard library only. Listens on $PORT. Environment:
  APP_VERSION   the version it names in the X-App-Version header (default "1")
  FAIL_EVERY    when N > 0, every Nth POST answers 500 (N=5: 20 % of calls fail)
  DELAY_MS      each POST waits this long before answering (a slow version)
  REPLY         when set, POSTs answer this text instead of the echo (a version whose answers differ)
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = os.environ.get("APP_VERSION", "1")
FAIL_EVERY = int(os.environ.get("FAIL_EVERY", "0"))
DELAY = int(os.environ.get("DELAY_MS", "0")) / 1000
REPLY = os.environ.get("REPLY")
lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App-Version", VERSION)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            count += 1
            n = count
        if DELAY:
            time.sleep(DELAY)
        if FAIL_EVERY and n % FAIL_EVERY == 0:
            self._send(500, b"version %s failed on purpose" % VERSION.encode())
            return
        self._send(200, REPLY.encode() if REPLY is not None else body)

    def do_GET(self):
        self._send(200, VERSION.encode())

    def log_message(self, fmt, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler)
    server.daemon_threads = True
    print(f"release app version {VERSION} listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
