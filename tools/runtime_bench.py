#!/usr/bin/env python3
# Measures the PHP runtime: its own overhead per HTTP request (vs php-fpm directly), start to first /next, resident memory.
"""Usage: python3 tools/runtime_bench.py [--requests N] [--starts N]

(a) overhead: the same requests to the same test app (tests/runtime/app), through the runtime (time
    between the fake Runtime API answering /next and receiving the answer) and straight to a php-fpm
    started with the runtime's own config and flags, by a FastCGI client; medians per request.
(b) start: process start (bootstrap) to its first GET /next, no secrets; median of repeated starts.
(c) memory: VmRSS of the runtime process itself (php-fpm and its workers excluded).
Prints a markdown table. Needs /usr/bin/php8.2 and /usr/sbin/php-fpm8.2 (or HOVER_PHP, HOVER_PHP_FPM).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "runtime"))
from fakes import HERE, PHP_FPM, REPO, RuntimeProcess  # noqa: E402

PATHS = ["/status/200", "/echo?a[]=1&b=%20"]


def event(path):
    raw_path, _, query = path.partition("?")
    return {"version": "2.0", "rawPath": raw_path, "rawQueryString": query,
            "headers": {"host": "bench.example.com", "accept": "*/*", "user-agent": "bench"},
            "cookies": ["session=abc"],
            "requestContext": {"http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1"}},
            "isBase64Encoded": False}


def fcgi_record(rtype, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", 1, rtype, 1, len(content), pad) + content + b"\0" * pad


def fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def fcgi_request(sock_path, params):
    """One FastCGI request (what the runtime sends: same params, a new connection); returns stdout."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, fcgi_pairs(params)) + fcgi_record(4, b"")
              + fcgi_record(5, b""))
    buf, out = b"", b""
    while True:
        chunk = s.recv(262144)
        if not chunk:
            raise RuntimeError("php-fpm closed the connection")
        buf += chunk
        while len(buf) >= 8:
            _, rtype, _, length, pad = struct.unpack(">BBHHBx", buf[:8])
            if len(buf) < 8 + length + pad:
                break
            content, buf = buf[8:8 + length], buf[8 + length + pad:]
            if rtype == 6:
                out += content
            elif rtype == 3:
                s.close()
                return out


def php_params(ev, root):
    """The CGI params the runtime builds for an event (asked from the runtime's own code)."""
    out = subprocess.run([os.environ.get("HOVER_PHP", "/usr/bin/php8.2"), str(HERE / "harness.php"), "params",
                          json.dumps([ev, str(root)])], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["ok"]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--starts", type=int, default=15)
    ap.add_argument("--app", choices=["plain", "laravel"], default="plain",
                    help="the application both arms serve: the plain PHP test app, or the Laravel fixture")
    args = ap.parse_args()
    global PATHS
    work = Path(tempfile.mkdtemp(prefix="hover-bench-"))
    shutil.copytree(REPO / "runtime", work / "runtime")
    app_env = {}
    if args.app == "laravel":
        shutil.copytree(REPO / "tests" / "fixtures" / "laravel-app", work / "app")
        PATHS = ["/echo?a[]=1&b=%20"]
        # Both arms see the same application settings (the direct php-fpm inherits them).
        app_env = {"APP_STORAGE": str(work / "storage"), "LOG_CHANNEL": "stderr", "APP_ENV": "production"}
        for sub in ("framework/cache/data", "framework/views", "framework/sessions", "logs", "app", "bootstrap/cache"):
            (work / "storage" / sub).mkdir(parents=True, exist_ok=True)
        os.environ.update(app_env)
    else:
        shutil.copytree(HERE / "app", work / "app")
    rows = []
    try:
        # (a) through the runtime
        rt = RuntimeProcess(work / "runtime", work / "app", "bench-http", app_env, work / "runtime.log")
        through = {}
        try:
            for path in PATHS:
                for _ in range(30):
                    rt.invoke(event(path))
                times = []
                for i in range(args.requests):
                    rid = f"r{PATHS.index(path)}-{i}"
                    kind, answer = rt.invoke(event(path), rid=rid)
                    assert kind == "response" and answer["statusCode"] == 200, answer
                    sent, got = rt.api.timing[rid]
                    times.append(got - sent)
                through[path] = statistics.median(times)
            rss_http = rss_kib(rt.proc.pid)
            conf = Path(f"/tmp/hover-fpm-{rt.proc.pid}/php-fpm.conf").read_text()
        finally:
            rt.stop()
        # (a) straight to php-fpm, started with the runtime's config and flags
        fpm_dir = work / "fpm"
        fpm_dir.mkdir()
        sock = str(fpm_dir / "fpm.sock")
        conf = "\n".join(f"listen = {sock}" if l.startswith("listen = ") else l for l in conf.splitlines())
        (fpm_dir / "php-fpm.conf").write_text(conf)
        flags = ["-d", "opcache.enable=1", "-d", "opcache.validate_timestamps=0", "-d", "opcache.file_cache=/tmp/hover-opcache",
                 "-d", "display_errors=0", "-d", "variables_order=EGPCS"]
        fpm = subprocess.Popen([PHP_FPM, "--nodaemonize", "--fpm-config", str(fpm_dir / "php-fpm.conf"), *flags]
                               + (["--allow-to-run-as-root"] if os.geteuid() == 0 else []),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        direct = {}
        try:
            for _ in range(200):
                if os.path.exists(sock):
                    break
                time.sleep(0.01)
            for path in PATHS:
                params = php_params(event(path), work / "app")
                for _ in range(30):
                    fcgi_request(sock, params)
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    out = fcgi_request(sock, params)
                    times.append(time.perf_counter() - t)
                    assert out
                direct[path] = statistics.median(times)
        finally:
            fpm.terminate()
            fpm.wait(timeout=10)
        for path in PATHS:
            rows.append((f"overhead per request `GET {path}` (runtime {through[path] * 1e3:.2f} ms − php-fpm direct {direct[path] * 1e3:.2f} ms)",
                         f"{(through[path] - direct[path]) * 1e3:.2f} ms", "≤ 1 ms"))
        # (b) start to first /next, (c) idle memory, per role
        for role in ("http", "cli", "queue"):
            starts, rss = [], []
            for i in range(args.starts):
                rt = RuntimeProcess(work / "runtime", work / "app", f"bench-{role}", {}, work / f"start-{role}-{i}.log")
                try:
                    assert rt.api.wait_for(lambda: rt.api.next_calls, 10), rt.output()
                    starts.append(rt.api.next_calls[0] - rt.started)
                    rss.append(rss_kib(rt.proc.pid))
                finally:
                    rt.stop()
            rows.append((f"start to first /next, {role} role (median of {args.starts})", f"{statistics.median(starts) * 1e3:.1f} ms", "≤ 100 ms"))
            rows.append((f"VmRSS of the runtime process, {role} role, idle", f"{statistics.median(rss) / 1024:.1f} MiB", "≤ 30 MiB"))
        bare = subprocess.run(["sh", "-c", 'exec "$0" -d opcache.enable_cli=1 -d opcache.file_cache=/tmp/hover-opcache '
                               '-d opcache.file_cache_only=1 -r \'echo file_get_contents("/proc/self/status");\'',
                               os.environ.get("HOVER_PHP", "/usr/bin/php8.2")], capture_output=True, text=True).stdout
        floor = int(next(l for l in bare.splitlines() if l.startswith("VmRSS:")).split()[1])
        rows.append(("VmRSS of a bare `php -r` with the same flags (the floor: PHP and its extensions)", f"{floor / 1024:.1f} MiB", "-"))
        rows.append((f"VmRSS of the runtime process, http role, after {len(PATHS) * (args.requests + 30)} requests",
                     f"{rss_http / 1024:.1f} MiB", "≤ 30 MiB"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Application: {'the Laravel fixture (tests/fixtures/laravel-app)' if args.app == 'laravel' else 'the plain PHP test app (tests/runtime/app)'}")
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
