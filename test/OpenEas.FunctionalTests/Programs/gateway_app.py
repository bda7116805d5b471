"""A test program for the gateway: echo, slow calls, server-sent events, a WebSocket echo and a small web app.

Standard library only. Listens on $PORT.
"""
import base64
import hashlib
import os
import struct
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PAGES = {
    "/": ("text/html", '<html><head><link rel="stylesheet" href="static/app.css"></head>'
                       '<body><a href="page2.html">next</a></body></html>'),
    "/page2.html": ("text/html", "<html><body>page two</body></html>"),
    "/static/app.css": ("text/css", "body { color: green; }"),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms per call.
    disable_nagle_algorithm = True

    def _send(self, status, body, content_type="text/plain", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlparse(self.path)
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["1000"])[0]) / 1000)
        self._send(200, body, self.headers.get("Content-Type") or "application/octet-stream")

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["1000"])[0]) / 1000)
            self._send(200, b"slow done")
        elif url.path == "/sse":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(3):
                self.wfile.write(f"data: event {i}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.6)
            self.close_connection = True
        elif url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket()
        elif url.path == "/prefix":
            self._send(200, (self.headers.get("X-Forwarded-Prefix") or "").encode())
        elif url.path == "/pid":
            self._send(200, str(os.getpid()).encode())
        elif url.path in PAGES:
            content_type, text = PAGES[url.path]
            self._send(200, text.encode(), content_type)
        else:
            self._send(404, b"no such page")

    def _websocket(self):
        accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode = head[0] & 0x0F
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                self.wfile.flush()
                self.close_connection = True
                return
            if opcode in (1, 2):
                if len(payload) < 126:
                    header = bytes([0x80 | opcode, len(payload)])
                else:
                    header = bytes([0x80 | opcode, 126]) + struct.pack(">H", len(payload))
                self.wfile.write(header + payload)
                self.wfile.flush()

    def log_message(self, fmt, *args):
        pass


port = int(os.environ["PORT"])
print(f"gateway_app listening on {port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
