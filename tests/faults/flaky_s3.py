"""A loopback proxy in front of the S3 server that fails a share of requests, the way S3 does.

Faults, drawn per request from a seeded generator (so a run is reproducible):

- ``slowdown``: ``503 SlowDown`` (S3's throttling answer), before the request reaches the store;
- ``internal``: ``500 InternalError``, before the request reaches the store;
- ``reset``: the connection is closed without an answer, before the request reaches the store;
- ``cut``: a GET answered with its headers and half its body, then the connection is closed
  (a dropped download: the client must resume or retry the read).

Everything else is forwarded unchanged (method, path, query, headers, body) and the store's answer
returned unchanged, so boto3 and pyarrow sign and verify requests as they would against S3.
``counts`` tells how many of each fault were injected.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("slowdown", "internal", "reset", "cut")
_ERROR_BODY = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
               "<Message>injected by the flaky proxy</Message></Error>")


class FlakyS3Proxy:
    def __init__(self, upstream: str, fault_rate: float = 0.1, seed: int = 0,
                 faults: tuple[str, ...] = FAULTS):
        target = urlsplit(upstream)
        self.upstream_host, self.upstream_port = target.hostname, target.port
        self.fault_rate, self.faults = fault_rate, faults
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None  # resets are the point
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FlakyS3Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def draw(self, method: str) -> str | None:
        """The fault for the next request, or None to forward it."""
        with self._lock:
            self.counts["requests"] += 1
            if self._random.random() >= self.fault_rate:
                return None
            choices = [f for f in self.faults if f != "cut" or method == "GET"]
            if not choices:
                return None
            fault = self._random.choice(choices)
            self.counts[fault] += 1
            return fault

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _relay(self):
                body = self._body()
                fault = proxy.draw(self.command)
                if fault == "reset":
                    self._reset()
                    return
                if fault in ("slowdown", "internal"):
                    code, status = (("SlowDown", 503) if fault == "slowdown"
                                    else ("InternalError", 500))
                    payload = _ERROR_BODY.format(code=code).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port,
                                                      timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "transfer-encoding")}
                if body is not None:
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
                    headers["Content-Length"] = str(len(body))
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                self.send_response(answer.status, answer.reason)
                # A HEAD answer has no body but keeps the object's Content-Length.
                dropped = ("transfer-encoding", "connection") + (
                    () if self.command == "HEAD" else ("content-length",))
                for key, value in answer.getheaders():
                    if key.lower() not in dropped:
                        self.send_header(key, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if fault == "cut" and len(payload) > 1:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self._reset()
                    return
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _body(self) -> bytes | None:
                """The request body, de-chunked when sent with Transfer-Encoding: chunked."""
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _reset(self):
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        return Handler
