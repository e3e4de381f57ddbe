#!/usr/bin/env python3
"""Run moto's server in-process on 127.0.0.1, with hover's compatibility layer.

Usage: server.py PORT [--plain]

--plain starts moto without the compatibility layer (used by the tests to show
that each mend corrects a real moto behaviour) and without the request counter
(``GET /hover-compat/requests``, see hover_compat/request_counter.py).
"""
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    plain = "--plain" in sys.argv[1:]
    if len(args) != 1:
        print("usage: server.py PORT [--plain]", file=sys.stderr)
        return 2
    port = int(args[0])

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from moto.server import ThreadedMotoServer

    server_class = ThreadedMotoServer
    if not plain:
        sys.path.insert(0, HERE)
        import hover_compat
        from hover_compat.request_counter import make_server_class

        hover_compat.install()
        server_class = make_server_class()

    server = server_class(ip_address="127.0.0.1", port=port, verbose=False)
    stop = threading.Event()

    def on_signal(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server.start()
    mode = "plain moto" if plain else "moto + hover_compat"
    print(f"emulator ({mode}) listening on http://127.0.0.1:{port}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
