#!/usr/bin/env python3
"""Run moto's server in-process on 127.0.0.1, with hover's compatibility layer.

Usage: server.py PORT [--plain]

--plain starts moto without the compatibility layer (used by the tests to show
that each mend corrects a real moto behaviour) and without the request counter
(``GET /hover-compat/requests``, see hover_compat/request_counter.py).

HOVER_EMULATOR_RUNTIME=host in the environment runs image functions for real
(hover_compat/host_runtime.py); HOVER_EMULATOR_STATE names the state dir that
holds the unpacked images and the functions' logs (default: a new temporary
dir). Every process started for a function is stopped when the server exits.

Connections are kept alive (HTTP/1.1): werkzeug's development server closes every one, so
each request would pay a new TCP connection and a new thread; here a connection serves its
client's requests in turn until the client closes it (see ``keep_alive_handler``).
"""
import io
import os
import signal
import socket
import sys
import threading


def keep_alive_handler():
    """moto's request handler, keeping connections alive.

    werkzeug answers ``Connection: close`` because after an answer it drains whatever the client
    sent beyond what the application read, which on a kept connection would swallow the next
    request. Here the whole request body is read before the application runs (it gets it from
    memory), so the connection is always at the next request when the answer is out, and the
    drain reads nothing from it. Answers carry ``Content-Length`` or are chunked (werkzeug
    chunks under HTTP/1.1 when the application gives no length), so the client always knows
    where one ends; a connection is closed when the client asks for it (as werkzeug does when a
    chunked answer fails midway).
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import DechunkedInput

    class KeepAliveRequestHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body are written separately: no Nagle delay between them.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def make_environ(self):
            environ = super().make_environ()
            stream = environ["wsgi.input"]
            if isinstance(stream, DechunkedInput):
                body = stream.read()
            else:
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length, self.close_connection = 0, True
                body = self.rfile.read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            # werkzeug's drain after the answer reads self.rfile: give it nothing to read.
            self._kept_rfile, self.rfile = self.rfile, io.BytesIO()
            return environ

        def run_wsgi(self) -> None:
            try:
                super().run_wsgi()
            finally:
                if hasattr(self, "_kept_rfile"):
                    self.rfile = self._kept_rfile
                    del self._kept_rfile

        def send_header(self, keyword, value):
            if keyword.lower() == "connection" and value.lower() == "close":
                # werkzeug's own closing: only close when the client asked for it.
                if self.headers.get("Connection", "").lower() == "close" or self.request_version != "HTTP/1.1":
                    super().send_header(keyword, value)
                return
            super().send_header(keyword, value)

    return KeepAliveRequestHandler

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    plain = "--plain" in sys.argv[1:]
    if len(args) != 1:
        print("usage: server.py PORT [--plain]", file=sys.stderr)
        return 2
    port = int(args[0])

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    handler = keep_alive_handler()

    class PlainMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:  # same as moto 5.2.5's, with the keep-alive handler
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=handler)
            self._server_ready_event.set()
            self._server.serve_forever()

    server_class = PlainMotoServer
    host = None
    if not plain:
        sys.path.insert(0, HERE)
        import hover_compat
        from hover_compat import host_runtime, host_triggers
        from hover_compat.request_counter import make_server_class

        host_runtime.configure(f"http://127.0.0.1:{port}", os.environ.get("HOVER_EMULATOR_STATE") or None)
        hover_compat.install()
        server_class = make_server_class(handler)
        host = (host_runtime, host_triggers)
    elif os.environ.get("HOVER_EMULATOR_RUNTIME") == "host":
        print("HOVER_EMULATOR_RUNTIME=host is ignored with --plain", file=sys.stderr)

    server = server_class(ip_address="127.0.0.1", port=port, verbose=False)
    stop = threading.Event()

    def on_signal(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server.start()
    mode = "plain moto" if plain else "moto + hover_compat"
    if host is not None and host[0].enabled():
        mode += ", image functions run on the host"
        host[1].start()
    print(f"emulator ({mode}) listening on http://127.0.0.1:{port}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if host is not None:
            host[1].shutdown()
            host[0].shutdown()
        server.stop()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
