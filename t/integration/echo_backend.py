"""A legacy application stand-in for the integration tests: an HTTP server
on 127.0.0.1 that answers every request (any method) with JSON holding the
method, the path and every header it received, raw, as [name, value] pairs
in arrival order (so case and duplicates are visible).  Every request is
also recorded, so a test can prove that nothing reached it."""
import http.server
import json
import threading


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # quiet: pytest shows failures itself
        pass

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body, trailers = b"", []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
            while True:
                line = self.rfile.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                n, _, v = line.decode("latin-1").partition(":")
                trailers.append([n, v.strip()])
            return body, trailers
        n = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(n) if n else b""), []

    def _echo(self):
        body, trailers = self._read_body()
        rec = {"method": self.command, "path": self.path,
               "headers": [[k, v] for k, v in self.headers.raw_items()],
               "trailers": trailers,
               "body": body.decode("latin-1")}
        self.server.owner._record(rec)
        out = json.dumps(rec).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Echo-Backend", "1")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches to do_<METHOD>: answer them all.
        if name.startswith("do_"):
            return self._echo
        raise AttributeError(name)


class EchoBackend:
    def __init__(self):
        self.requests = []
        self._lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _record(self, rec):
        with self._lock:
            self.requests.append(rec)

    def clear(self):
        with self._lock:
            del self.requests[:]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
