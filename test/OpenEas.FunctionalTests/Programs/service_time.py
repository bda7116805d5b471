"""A test program with a fixed service time: every call is answered 200 after sleeping ?ms=N milliseconds (default 20).

With one call at a time its capacity is about 1000 / (N + overhead) calls per second, which the stress tests find.
Standard library only. Listens on $PORT. Answers in one write with Nagle off, so no delayed-ACK stall adds to the time.
"""
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        ms = int(parse_qs(urlparse(self.path).query).get("ms", ["20"])[0])
        time.sleep(ms / 1000)
        body = b"done"
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    do_GET = _serve
    do_POST = _serve

    def log_message(self, fmt, *args):
        pass


port = int(os.environ["PORT"])
print(f"service_time listening on {port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
