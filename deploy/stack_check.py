"""Prove the image's build and the production stack without a container engine.

No registry for base images is reachable here, so CI cannot `docker build`. Instead:

  build  Copy the build context as Docker would (everything but .dockerignore's patterns),
         check no secret or local data is in it, then run the Dockerfile's RUN steps in order,
         with its ENV and WORKDIR, in a fresh virtualenv standing in for the base image's
         Python. Steps marked `# build-check: skip` (creating the system account) are skipped.
  stack  From that build: gunicorn with deploy/gunicorn.conf.py and production settings,
         a Celery worker and beat, on a fresh PostgreSQL database (h_ops_stack_*) and a
         private redis-server, behind nginx rendered from deploy/nginx/exchange.conf.template
         with a certificate from deploy/selfsigned.py. Checks that /readyz goes green, a page
         answers over TLS (the certificate verified), HTTP redirects to HTTPS, an API batch is
         stored and /metrics counts it, /metrics is refused through the proxy, and the logs
         are JSON lines carrying the request id the response names.

What stays unproven: the base image itself (python:3.11-slim's Debian and Python), the
`useradd` step, the official nginx image's template rendering (done here with the same
${NAME} substitution), and docker's own networking and health-check runner.

Usage: python deploy/stack_check.py [--stack] [--keep DIR]. Bounded: every wait has a deadline,
and every process started is stopped by its own id.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEVER_IN_IMAGE = (".env", ".git", "db.sqlite3", ".venv")
SKIP_MARK = "# build-check: skip"


# --- the Dockerfile and its context ----------------------------------------------------------


def dockerfile_steps(text: str) -> list[tuple[str, str, bool]]:
    """(instruction, argument, skipped) for each instruction; continuation lines joined."""
    steps: list[tuple[str, str, bool]] = []
    skip_next = False
    buffer = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not buffer and line.strip().startswith("#"):
            if line.strip().startswith(SKIP_MARK):
                skip_next = True
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        line = (buffer + line).strip()
        buffer = ""
        if not line:
            continue
        instruction, _, argument = line.partition(" ")
        steps.append((instruction.upper(), argument.strip(), skip_next))
        skip_next = False
    return steps


def env_pairs(argument: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(argument))


def dockerignore_patterns(root: Path) -> list[tuple[bool, str]]:
    """(negated, pattern) pairs of .dockerignore, in order (the last match wins)."""
    path = root / ".dockerignore"
    patterns = []
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        patterns.append((negated, pattern.strip("/")))
    return patterns


def _matches(relative: str, pattern: str) -> bool:
    # Docker's rules (Go's filepath.Match plus `**`), close enough for our patterns: a pattern
    # matches the path or any of its parent folders; `**/` matches any depth.
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(fnmatch.fnmatchcase(part, tail) for part in parts) or any(
            fnmatch.fnmatchcase(c, tail) for c in candidates
        )
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


def excluded(relative: str, patterns: list[tuple[bool, str]]) -> bool:
    result = False
    for negated, pattern in patterns:
        if _matches(relative, pattern):
            result = not negated
    return result


def copy_context(source: Path, target: Path) -> list[str]:
    """Copy the build context; returns the relative paths copied."""
    patterns = dockerignore_patterns(source)
    copied = []
    for dirpath, dirnames, filenames in os.walk(source):
        rel_dir = os.path.relpath(dirpath, source)
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = [d for d in dirnames if not excluded(f"{rel_dir}/{d}".lstrip("/"), patterns)]
        for name in filenames:
            relative = f"{rel_dir}/{name}".lstrip("/")
            if excluded(relative, patterns):
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(dirpath) / name, destination, follow_symlinks=False)
            copied.append(relative)
    return copied


def build(work: Path) -> tuple[Path, Path, dict[str, str]]:
    """Run the Dockerfile in `work`; returns (app dir, venv, the image's environment)."""
    app, venv = work / "app", work / "venv"
    started = time.monotonic()
    copied = copy_context(ROOT, app)
    leaked = [p for p in copied if p.split("/")[0] in NEVER_IN_IMAGE or p.endswith(".sqlite3")]
    assert not leaked, f"secrets or local data in the build context: {leaked}"
    print(f"build context: {len(copied)} files; no {', '.join(NEVER_IN_IMAGE)}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "LANG": "C.UTF-8",
    }
    # The machine's own package-index settings (where pip finds packages here), nothing else.
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    workdir = app
    user = "root"
    for instruction, argument, skipped in dockerfile_steps((ROOT / "Dockerfile").read_text()):
        if instruction == "ENV":
            env.update(env_pairs(argument))
        elif instruction == "WORKDIR":
            workdir = app  # the image's /app is this copy
        elif instruction == "USER":
            user = argument
        elif instruction == "RUN":
            if skipped:
                print(f"skipped (as marked): RUN {argument}")
                continue
            print(f"RUN {argument}", flush=True)
            # No secret at build time: nothing beyond the Dockerfile's own ENV is passed.
            subprocess.run(["/bin/sh", "-c", argument], cwd=workdir, env=env, check=True)
    assert user != "root", "the image must not run as root (USER)"
    manifest = app / "staticfiles" / "staticfiles.json"
    assert manifest.exists(), "collectstatic wrote no manifest"
    print(f"build: done in {time.monotonic() - started:.0f} s; runs as {user!r}")
    return app, venv, env


# --- the stack -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, work: Path, app: Path, venv: Path, image_env: dict[str, str]) -> None:
        self.work, self.app, self.venv = work, app, venv
        self.processes: list[subprocess.Popen] = []
        self.logs: dict[str, Path] = {}
        self.db = f"h_ops_stack_{os.getpid()}"
        self.pg = os.environ.get("STACK_PG", "postgres://postgres@127.0.0.1:5432")
        self.redis_port = free_port()
        self.web_port, self.http_port, self.https_port = free_port(), free_port(), free_port()
        self.host = "exchange.test"
        self.metrics_token = secrets.token_urlsafe(24)
        self.env = {
            **image_env,
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "VICTIMS_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "VICTIMS_LOOKUP_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": self.host,
            "SITE_URL": f"https://{self.host}:{self.https_port}",
            "CSRF_TRUSTED_ORIGINS": f"https://{self.host}:{self.https_port}",
            "DATABASE_URL": f"{self.pg}/{self.db}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "EMAIL_URL": "consolemail://",
            "SECURE_HSTS_SECONDS": "0",  # self-signed: no HSTS (as docker-compose.yml)
            "METRICS_TOKEN": self.metrics_token,
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
        }

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        log = self.work / f"{name}.log"
        self.logs[name] = log
        handle = log.open("wb")
        process = subprocess.Popen(
            argv, cwd=self.app, env=kwargs.pop("env", self.env), stdout=handle, stderr=handle
        )
        self.processes.append(process)
        return process

    def manage(self, *args: str, input_text: str | None = None) -> str:
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "manage.py", *args],
            cwd=self.app,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def up(self) -> None:
        (self.work / "metrics").mkdir(exist_ok=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", self.db], check=True)
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""],
            env={"PATH": os.environ["PATH"]},
        )
        self.manage("migrate", "--noinput")
        bin_ = self.venv / "bin"
        self.start(
            "web",
            [str(bin_ / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "exchange.wsgi:application"],
        )
        self.start(
            "worker",
            [str(bin_ / "celery"), "-A", "exchange", "worker", "-l", "INFO", "--concurrency", "1"],
        )
        self.start(
            "beat",
            [
                str(bin_ / "celery"),
                "-A",
                "exchange",
                "beat",
                "-l",
                "INFO",
                "--schedule",
                str(self.work / "celerybeat-schedule"),
            ],
        )
        certs = self.work / "certs"
        subprocess.run(
            [str(bin_ / "python"), "deploy/selfsigned.py", str(certs), self.host, "127.0.0.1"],
            cwd=self.app,
            check=True,
            env=self.env,
        )
        template = (self.app / "deploy" / "nginx" / "exchange.conf.template").read_text()
        values = {
            "EXCHANGE_UPSTREAM": f"127.0.0.1:{self.web_port}",
            "EXCHANGE_HTTP_PORT": f"127.0.0.1:{self.http_port}",
            "EXCHANGE_HTTPS_PORT": f"127.0.0.1:{self.https_port}",
            "EXCHANGE_TLS_DIR": str(certs),
        }
        rendered = re.sub(r"\$\{(EXCHANGE_[A-Z_]+)\}", lambda m: values[m.group(1)], template)
        nginx_dir = self.work / "nginx"
        nginx_dir.mkdir()
        (nginx_dir / "exchange.conf").write_text(rendered)
        (nginx_dir / "nginx.conf").write_text(
            f"daemon off; pid {nginx_dir}/nginx.pid; error_log {nginx_dir}/error.log;\n"
            "events {}\nhttp {\n"
            f"  client_body_temp_path {nginx_dir}/body; proxy_temp_path {nginx_dir}/proxy;\n"
            f"  fastcgi_temp_path {nginx_dir}/f; uwsgi_temp_path {nginx_dir}/u;"
            f" scgi_temp_path {nginx_dir}/s;\n"
            f"  include {nginx_dir}/exchange.conf;\n}}\n"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.start(
            "nginx", [nginx, "-c", str(nginx_dir / "nginx.conf")], env={"PATH": os.environ["PATH"]}
        )
        self.ssl = ssl.create_default_context(cafile=str(certs / "cert.pem"))

    def down(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", self.db],
            check=False,
        )

    # -- requests --
    def https(self, method: str, path: str, body: bytes | None = None, headers=None):
        # Connects to the loopback, speaks TLS to exchange.test, verifying the certificate.
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.ssl, timeout=30
        )
        conn.sock = self.ssl.wrap_socket(
            socket.create_connection(("127.0.0.1", self.https_port), timeout=30),
            server_hostname=self.host,
        )
        conn.request(method, path, body=body, headers={"Host": self.host, **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def plain(self, port: int, path: str, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def wait_ready(self, deadline_s: float = 120) -> dict:
        deadline = time.monotonic() + deadline_s
        last: object = None
        while time.monotonic() < deadline:
            for name, process in zip(self.logs, self.processes, strict=False):
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.logs[name].read_text()[-3000:]}")
            try:
                response, data = self.https("GET", "/readyz")
                last = data.decode()
                if response.status == 200:
                    return json.loads(data)
            except (OSError, http.client.HTTPException) as exc:
                last = exc
            time.sleep(1)
        raise RuntimeError(f"/readyz did not go green in {deadline_s:.0f} s: {last}")


def check_stack(stack: Stack) -> None:
    started = time.monotonic()
    stack.up()
    ready = stack.wait_ready()
    print(
        f"/readyz green over TLS in {time.monotonic() - started:.0f} s: {sorted(ready['checks'])}"
    )

    response, body = stack.https("GET", "/accounts/login/")
    assert response.status == 200, response.status
    assert response.getheader("Strict-Transport-Security") is None, "HSTS with a self-signed cert"
    request_id = response.getheader("X-Request-ID")
    assert request_id and len(request_id) == 32, request_id  # nginx's $request_id, passed on
    print(f"sign-in page over TLS: 200, X-Request-ID {request_id}")

    response, _ = stack.plain(stack.http_port, "/accounts/login/", {"Host": stack.host})
    assert response.status == 301, response.status
    assert response.getheader("Location", "").startswith("https://"), response.getheader("Location")

    response, _ = stack.https("GET", "/metrics")
    assert response.status == 404, f"/metrics through the proxy answered {response.status}"

    key = (
        stack.manage(
            "shell",
            "-c",
            "from embassies.choices import DelegationKind, WorkspaceRole\n"
            "from embassies.services import delegation_onboard, user_create_with_totp, "
            "api_token_create\n"
            "d, _, _ = delegation_onboard(actor=None, name='Embassy of Testland', "
            "kind=DelegationKind.EMBASSY, country='PH')\n"
            "u = user_create_with_totp(email='officer@stack.test', password='x' * 20, "
            "workspace=d.workspace, role=WorkspaceRole.OFFICER)\n"
            "print(api_token_create(user=u, name='stack', scope='write')[1])\n",
        )
        .strip()
        .splitlines()[-1]
    )
    rows = [
        {
            "address": f"8.8.{i // 250}.{i % 250 + 1}",
            "seen_at": "2026-01-02T03:04:05+07:00",
            "context": "chat",
            "note": "n" * 2000,
        }
        for i in range(500)
    ]
    payload = json.dumps({"reports": rows, "tlp": "amber", "police_access": True}).encode()
    response, body = stack.https(
        "POST",
        "/api/v1/ip-reports/",
        body=payload,
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    assert response.status == 201, (response.status, body[:500])
    assert json.loads(body)["created_count"] == 500
    batch_request_id = response.getheader("X-Request-ID")
    print(f"API batch of 500 rows ({len(payload) // 1024} KB) over TLS: 201")

    deadline = time.monotonic() + 60
    while True:
        response, body = stack.plain(
            stack.web_port, "/metrics", {"Authorization": f"Bearer {stack.metrics_token}"}
        )
        assert response.status == 200, response.status
        text = body.decode()
        counted = re.search(
            r'exchange_http_requests_total\{method="POST",status="201",'
            r'view="api_ip_reports"\} (\d+)',
            text,
        )
        drained = re.search(r"^exchange_pending_matches (\S+)", text, re.M)
        if counted and drained and float(drained.group(1)) == 0:
            break
        assert time.monotonic() < deadline, f"/metrics never counted the batch:\n{text[-2000:]}"
        time.sleep(1)
    print(f"/metrics: the batch counted ({counted.group(0)}), no report left pending")
    response, _ = stack.plain(stack.web_port, "/metrics")
    assert response.status == 404, "/metrics without the token"

    for name in ("web", "worker", "beat"):
        lines = stack.logs[name].read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        assert records, f"{name} wrote no JSON log line"
        # Log records in Celery's or Python's own text format (the start-up banner and
        # Python warnings are not log records).
        text_records = [line for line in lines if re.match(r"\[?\d{4}-\d\d-\d\d", line)]
        assert not text_records, f"{name} logged in text: {text_records[:3]}"
    worker = [json.loads(x) for x in stack.logs["worker"].read_text().splitlines() if x[:1] == "{"]
    assert any("succeeded" in r["message"] for r in worker), "no task log line from the worker"
    assert any(r.get("request_id") == batch_request_id for r in worker), (
        "the matching task's log lines do not name the request that started it"
    )
    web = [json.loads(line) for line in stack.logs["web"].read_text().splitlines()]
    assert any(batch_request_id in r["message"] for r in web if r["logger"] == "gunicorn.access")
    assert all("n" * 100 not in json.dumps(r) for r in web), "a record's note reached the log"
    print(
        f"logs: JSON lines with the request id; stack checked in {time.monotonic() - started:.0f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="store_true", help="also run the production stack")
    parser.add_argument("--keep", help="build in this folder and keep it (default: a temp dir)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="h_ops_stack_"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # nginx's workers (an unprivileged user) keep request bodies under it
    try:
        app, venv, env = build(work)
        if args.stack:
            stack = Stack(work, app, venv, env)
            try:
                check_stack(stack)
            except Exception:
                for name, log in stack.logs.items():
                    print(f"--- {name} log (last lines) ---", file=sys.stderr)
                    print(log.read_text()[-2500:], file=sys.stderr)
                raise
            finally:
                stack.down()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("stack check: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
