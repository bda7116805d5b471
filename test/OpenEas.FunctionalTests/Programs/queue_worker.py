"""A test program for async services: an ordinary sync HTTP program the queue dispatcher feeds.

POST body "poison..." kills the process (as a crashing model would), "fail..." answers 500, "slow:N" waits N
seconds; anything else answers "done:" + body, after $WORK_MS milliseconds (default 0). With $CALL_LOG set, each call's body is appended to that file
(one line per call), so a test can count calls. Standard library only. Listens on $PORT.
"""
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


CALL_LOG = os.environ.get("CALL_LOG")
WORK_SECONDS = float(os.environ.get("WORK_MS", "0")) / 1000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, b"ok")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if CALL_LOG:
            with open(CALL_LOG, "ab") as log:
                log.write(body + b"\n")
        if body.startswith(b"poison"):
            os._exit(3)
        if body.startswith(b"fail"):
            self._send(500, b"failed: " + body)
            return
        if body.startswith(b"slow:"):
            time.sleep(float(body[5:].decode()))
        elif WORK_SECONDS:
            time.sleep(WORK_SECONDS)
        self._send(200, b"done:" + body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
