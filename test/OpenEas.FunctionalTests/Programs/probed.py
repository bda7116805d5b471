"""A test program whose health is steered by files in its working directory.

/ready answers 200 only once the file 'ready' exists; /alive answers 500 while the file 'sick' exists.
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per call.
    disable_nagle_algorithm = True

    def do_GET(self):
        if self.path == "/ready":
            status = 200 if os.path.exists("ready") else 503
        elif self.path == "/alive":
            status = 500 if os.path.exists("sick") else 200
        else:
            status = 200
        body = str(os.getpid()).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, fmt, *args):
        pass


port = int(os.environ["PORT"])
print(f"probed listening on {port}", flush=True)
sys.stdout.flush()
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
