"""Measure Preceptor on a realistic database, on 127.0.0.1 only: server time and SQL
statements per request in process, and throughput under wrk against a bare route.

For SQLite, and for PostgreSQL when --database or TEST_DATABASE_URL names a server, it
builds a throw-away instance (migrations, the repository's courses, the demo, then
--mentors mentors with their progress, attempts and certificates, and forum posts:
build_data.py), measures every route in process (in_process.py), then serves the app
with gunicorn (gunicorn.conf.py's settings) beside a bare Flask app (bare_app.py) and
runs wrk against both. Prints one table and saves it under bench/results/.

The figures are a measurement, not a test: the exit status is 0 whatever they are, and
nonzero only when the run itself breaks (a command, the server, signing in, wrk, or a
route that answers with an error instead of its page).
"""

import argparse
import contextlib
import hashlib
import html
import http.client
import http.cookiejar
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
README_START, README_END = "<!-- latest-results:start -->", "<!-- latest-results:end -->"
# What a run measured: runs are compared only knowing whether this code was the same.
CODE_DIRS = ("app", "templates", "migrations", "courses", "quizzes")
CODE_SUFFIXES = {".py", ".html", ".md", ".yml", ".txt", ".css", ".js"}

DEFAULT_MENTORS = 10_000
# Flask-Login's session protection hashes the address and User-Agent: wrk must send
# the same one urllib signed in with, or every response would rewrite the cookie.
USER_AGENT = "preceptor-bench"
DATABASE_PREFIX = "preceptor_bench_"  # the only PostgreSQL databases the bench touches
LOCAL_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}

# Settings that could point the app at something other than the bench's instance, or
# change what a request does.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "SECRET_KEY",
    "PRECEPTOR_CONTENT_DIR",
    "PRECEPTOR_BASE_URL",
    "PRECEPTOR_MFA_REQUIRED_ROLES",
    "PRECEPTOR_TRUSTED_PROXIES",
    "MATCHING_CERTIFICATION",
    "RATELIMIT_STORAGE_URI",
    "API_RATE_LIMIT",
    "HEAVY_REQUESTS_LIMIT",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "SIGNUP_EMAIL_DOMAINS",
)
# The bench asks for more PDFs, CSVs and API pages a minute than one person may: the
# limiter still counts every request (the same work), it just never says no.
GENEROUS_LIMIT = "1000000 per minute"

CLI_TIMEOUT = 120  # seconds for each `preceptor` command
BUILD_TIMEOUT = 900  # seconds to build the mentors (100,000 take about a minute)
REBUILD_TIMEOUT = 900  # seconds for `preceptor progress rebuild`
IN_PROCESS_TIMEOUT = 1800  # seconds for every in-process route together
STARTUP_TIMEOUT = 30  # seconds for gunicorn to answer /healthz
HTTP_TIMEOUT = 10  # seconds for each urllib request
STOP_TIMEOUT = 10  # seconds for gunicorn to exit after SIGTERM

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BenchError(Exception):
    """Something other than the figures went wrong: the run is not a measurement."""


@dataclass
class Row:
    """One line of the table."""

    database: str
    route: str
    path: str
    requests_per_second: float | None = None  # wrk rows only
    p50_ms: float | None = None
    p99_ms: float | None = None
    queries: int | None = None  # in-process rows only
    ratio: str = ""
    goal: str = ""
    verdict: str = ""
    notes: str = ""
    details: dict = field(default_factory=dict)  # every raw number, for the JSON


@dataclass(frozen=True)
class Target:
    """A database the bench runs on."""

    label: str  # "SQLite", "PostgreSQL"
    key: str  # its folder under the work directory
    server_url: str | None = None  # PostgreSQL: where to create the throw-away database


# --- the instance -----------------------------------------------------------------------


def bench_env(instance: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        PRECEPTOR_INSTANCE_PATH=str(instance),
        PRECEPTOR_ENV="development",  # cookies without Secure, so they work over http
        PRECEPTOR_CONTENT_DIR=str(ROOT),
        RATELIMIT_STORAGE_URI="memory://",
        API_RATE_LIMIT=GENEROUS_LIMIT,
        HEAVY_REQUESTS_LIMIT=GENEROUS_LIMIT,
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def preceptor(env: dict[str, str], *args: str, timeout: float = CLI_TIMEOUT) -> str:
    command = [str(BIN / "preceptor"), *args]
    name = " ".join(args[:2])
    try:
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"`preceptor {name}` took over {timeout:g}s") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise BenchError(f"`preceptor {name}` failed ({done.returncode}):\n{tail}")
    return done.stdout


def bench_script(env: dict[str, str], script: str, *args: str, timeout: float) -> None:
    """One of the bench's own scripts, in the bench's environment, printing as it goes."""
    command = [str(BIN / "python"), str(BENCH_DIR / script), *args]
    try:
        done = subprocess.run(command, env=env, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{script} took over {timeout:g}s") from error
    if done.returncode != 0:
        raise BenchError(f"{script} failed ({done.returncode}): see its output above")


def has_progress_rebuild(env: dict[str, str]) -> bool:
    command = [str(BIN / "preceptor"), "progress", "--help"]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False
    )
    return done.returncode == 0 and "rebuild" in done.stdout


def timed(label: str, step, *args, **kwargs):
    print(f"  {label} ...", flush=True)
    started = time.monotonic()
    result = step(*args, **kwargs)
    print(f"  {label}: {time.monotonic() - started:.1f} s", flush=True)
    return result


def is_kept_build(subjects_path: Path, args: argparse.Namespace) -> bool:
    """A --keep folder already holds a database built with these settings."""
    try:
        subjects = json.loads(subjects_path.read_text())
    except (OSError, ValueError):
        return False
    return subjects.get("mentors") == args.mentors and subjects.get("posts") == args.posts


def prepare(env: dict[str, str], instance: Path, args: argparse.Namespace, reuse: bool) -> dict:
    """Migrated, synced and (unless reused) filled; returns who and what to measure."""
    subjects_path = instance / "subjects.json"
    timed("preceptor db upgrade", preceptor, env, "db", "upgrade")
    timed("preceptor content sync", preceptor, env, "content", "sync")
    if reuse:
        print(f"  reusing the {args.mentors:,} mentors kept in {instance}")
    else:
        timed("preceptor demo", preceptor, env, "demo")
        build_args = ["--mentors", str(args.mentors), "--posts", str(args.posts)]
        build_args += ["--subjects", str(subjects_path)]
        timed(
            f"building {args.mentors:,} mentors and {args.posts:,} forum posts",
            bench_script,
            env,
            "build_data.py",
            *build_args,
            timeout=BUILD_TIMEOUT,
        )
    if has_progress_rebuild(env):
        timed(
            "preceptor progress rebuild",
            preceptor,
            env,
            "progress",
            "rebuild",
            timeout=REBUILD_TIMEOUT,
        )
    else:
        print(
            "  note: no `preceptor progress rebuild` command yet: nothing rebuilt after the build"
        )
    return json.loads(subjects_path.read_text())


# --- PostgreSQL -----------------------------------------------------------------------


def postgres_server_url(args: argparse.Namespace) -> str | None:
    url = args.database or os.environ.get("TEST_DATABASE_URL", "")
    if args.sqlite_only or not url:
        return None
    from sqlalchemy import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise BenchError(f"--database must be a PostgreSQL URL, not {parsed.drivername}")
    if parsed.host not in LOCAL_HOSTS:
        raise BenchError(f"the bench stays on 127.0.0.1: {parsed.host} is another machine")
    return url


def _admin_connection(server_url: str):
    """A connection to the server in the URL (its own database), to create and drop ours."""
    import psycopg
    from sqlalchemy import make_url

    libpq_url = make_url(server_url).set(drivername="postgresql")
    try:
        return psycopg.connect(
            libpq_url.render_as_string(hide_password=False), autocommit=True, connect_timeout=10
        )
    except psycopg.Error as error:
        raise BenchError(f"cannot reach PostgreSQL at {libpq_url}: {error}") from error


def _database_exists(connection, name: str) -> bool:
    found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return found.fetchone() is not None


def _drop_database(connection, name: str) -> None:
    if not name.startswith(DATABASE_PREFIX):  # never anyone else's (test_gw0, ...)
        raise BenchError(f"refusing to drop {name!r}: not a bench database")
    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def postgres_database(server_url: str, name: str, keep: bool, reuse: bool) -> Iterator[str]:
    """A database of our own beside the server's others: made here, dropped on the way
    out (unless kept). Yields its URL."""
    from sqlalchemy import make_url

    with _admin_connection(server_url) as connection:
        if not (reuse and _database_exists(connection, name)):
            _drop_database(connection, name)
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with _admin_connection(server_url) as connection:
                _drop_database(connection, name)


def postgres_database_name(args: argparse.Namespace) -> str:
    if args.keep:  # the same name on every run that keeps this folder
        return f"{DATABASE_PREFIX}kept_{zlib.crc32(str(args.keep.resolve()).encode()):08x}"
    return f"{DATABASE_PREFIX}{os.getpid()}"


@contextlib.contextmanager
def database_for(target: Target, instance: Path, args: argparse.Namespace) -> Iterator[tuple]:
    """(DATABASE_URL or None for SQLite in the instance, whether a kept build is reused)."""
    reuse = bool(args.keep) and is_kept_build(instance / "subjects.json", args)
    if target.server_url is None:
        reuse = reuse and (instance / "preceptor.db").exists()
        if not reuse:
            shutil.rmtree(instance, ignore_errors=True)
        instance.mkdir(parents=True, exist_ok=True)
        yield None, reuse
        return
    if not reuse:
        shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True, exist_ok=True)
    name = postgres_database_name(args)
    with postgres_database(target.server_url, name, bool(args.keep), reuse) as url:
        yield url, reuse


# --- the servers ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_ticks(pid: int) -> tuple[int, int]:
    """(parent pid, user + system clock ticks) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def server_cpu_seconds(master: int) -> float | None:
    """CPU time used so far by gunicorn's master and workers; None without /proc.
    Unlike requests/s, this barely moves when other programs share the machine."""
    ticks = 0
    try:
        ticks += _cpu_ticks(master)[1]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parent, used = _cpu_ticks(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue  # gone meanwhile, or not readable
                if parent == master:
                    ticks += used
    except OSError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _no_control_socket() -> list[str]:
    """gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl, shared by every
    gunicorn of the user (a `make run` included): the bench needs none."""
    try:
        major = int(importlib.metadata.version("gunicorn").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return []
    return ["--no-control-socket"] if major >= 27 else []


class Server:
    """gunicorn with gunicorn.conf.py's settings on a port of 127.0.0.1, in its own
    process group, stopped (and its workers with it) on exit."""

    def __init__(self, env: dict[str, str], log_path: Path, app: str, *extra: str):
        self.env, self.log_path, self.app, self.extra = env, log_path, app, extra
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        command = [
            str(BIN / "gunicorn"),
            "--config", str(GUNICORN_CONF),
            "--bind", f"127.0.0.1:{self.port}",
            *_no_control_socket(),
            *self.extra,
            self.app,
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        tail = self.log_tail()
        raise BenchError(f"gunicorn did not answer /healthz in {STARTUP_TIMEOUT}s:\n{tail}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The master's own group (start_new_session): its workers, nothing of ours.
        group = process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        except ProcessLookupError:
            pass


# --- signing in -----------------------------------------------------------------------


class Browser:
    """urllib with a cookie jar: just enough to sign in."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> tuple[str, str]:
        """The final URL's path (after redirects) and the body."""
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[str, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[str, str]:
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                final = urllib.parse.urlsplit(response.geturl()).path
                return final, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            raise BenchError(f"{request.get_method()} {request.full_url}: {error.code}") from error
        except OSError as error:
            raise BenchError(f"{request.get_method()} {request.full_url}: {error}") from error

    def csrf_token(self, path: str) -> str:
        _, page = self.get(path)
        match = CSRF_INPUT.search(page)
        if not match:
            raise BenchError(f"no csrf_token input on {path}")
        return html.unescape(match.group(1))

    def session_cookie(self) -> str:
        for cookie in self.jar:
            if cookie.name == "session" and cookie.value:
                return cookie.value
        raise BenchError("the server set no session cookie")


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in and return the session cookie (it holds the login and a CSRF token, so
    later pages leave it as it is)."""
    browser = Browser(base)
    token = browser.csrf_token("/auth/login")
    browser.post("/auth/login", {"email": email, "password": password, "csrf_token": token})
    final, page = browser.get("/courses/")
    if final != "/courses/" or 'name="password"' in page:
        raise BenchError(f"signing in as {email} did not work (GET /courses/ ended at {final})")
    return browser.session_cookie()


# --- wrk --------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and total):
        raise BenchError(f"cannot read wrk's output:\n{output}")
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
        if errors
        else {}
    )
    return {
        "requests_per_second": float(rps.group(1)),
        "p50_ms": parse_duration_ms(p50.group(1)),
        "p99_ms": parse_duration_ms(p99.group(1)),
        "requests": int(total.group(1)),
        "non_2xx_3xx": int(non_ok.group(1)) if non_ok else 0,
        "socket_errors": socket_errors,
    }


def wrk(url: str, cookie: str | None, args: argparse.Namespace, seconds: float) -> str:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout", "5s",
        "--latency",
        "-H", f"User-Agent: {USER_AGENT}",
    ]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    command.append(url)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {url} did not finish") from error
    except FileNotFoundError as error:
        raise BenchError("wrk is not installed: apt-get install -y wrk") from error
    if done.returncode != 0:
        raise BenchError(f"wrk against {url} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    goal_percent: float | None  # of the reference's requests/s
    reference: str | None  # the row it is compared with
    signed_in: bool = True


def probe(server: Server, page: Page, cookie: str | None) -> None:
    """One request with exactly wrk's headers, redirects not followed: wrk counts a 302 to
    the sign-in form as a success, so make sure the page itself answers."""
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", page.path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
    except OSError as error:
        raise BenchError(f"GET {page.path}: {error}") from error
    finally:
        connection.close()
    if response.status != 200:
        where = response.getheader("Location", "")
        raise BenchError(f"GET {page.path} answered {response.status} {where}, not 200")
    if page.signed_in and 'name="password"' in body:
        raise BenchError(f"GET {page.path} showed the sign-in form: the cookie does not work")
    if response.getheader("Set-Cookie"):
        print(f"  note: {page.path} sets a cookie on every request (extra work per request)")


def run_wrk(page: Page, server: Server, cookie: str | None, args: argparse.Namespace) -> dict:
    """wrk's numbers for one page, and the server's CPU time per request meanwhile."""
    url = server.base + page.path
    session = cookie if page.signed_in else None
    probe(server, page, session)
    if args.warmup > 0:  # compiled templates, warm connection pools
        wrk(url, session, args, args.warmup)
    master = server.process.pid if server.process else 0
    cpu_before = server_cpu_seconds(master)
    output = wrk(url, session, args, args.duration)
    cpu_after = server_cpu_seconds(master)
    probe(server, page, session)
    if args.verbose:
        print(output)
    numbers = parse_wrk(output)
    if numbers["non_2xx_3xx"]:
        raise BenchError(
            f"{page.path}: {numbers['non_2xx_3xx']} of {numbers['requests']} responses were not "
            f"2xx/3xx (signed out? rate-limited? server errors?)"
        )
    if numbers["socket_errors"].get("connect") or numbers["socket_errors"].get("timeout"):
        raise BenchError(f"{page.path}: socket errors {numbers['socket_errors']}")
    if numbers["requests"] == 0:
        raise BenchError(f"{page.path}: wrk completed no request")
    if cpu_before is not None and cpu_after is not None:
        numbers["server_cpu_ms_per_request"] = 1000 * (cpu_after - cpu_before) / numbers["requests"]
    return numbers


def wrk_row(database: str, page: Page, server: Server, cookie: str | None, args) -> Row:
    print(f"  wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s {page.path} ...")
    row = Row(database, f"wrk {page.name}", page.path)
    try:
        numbers = run_wrk(page, server, cookie, args)
    except BenchError as error:
        row.verdict, row.notes = "ERROR", str(error).splitlines()[0]
        print(f"  {page.name}: {error}\n--- server log ---\n{server.log_tail()}")
        return row
    row.requests_per_second = numbers["requests_per_second"]
    row.p50_ms, row.p99_ms = numbers["p50_ms"], numbers["p99_ms"]
    cpu = numbers.get("server_cpu_ms_per_request")
    row.notes = f"server CPU {cpu:.2f} ms/request" if cpu is not None else ""
    row.details = {**numbers, "goal_percent": page.goal_percent, "reference": page.reference}
    return row


def wrk_rows(env: dict[str, str], instance: Path, subjects: dict, args, database: str) -> list:
    """Both servers up at once, every page measured in turn, --rounds times over: each
    page keeps its best round, so a burst of other work on the machine cannot land on
    one page (or on the baseline) alone."""
    bare_log, app_log = instance / "gunicorn-bare.log", instance / "gunicorn.log"
    floor_log = instance / "gunicorn-signed-in.log"
    with (
        Server(env, bare_log, "bare_app:app", "--pythonpath", str(BENCH_DIR)) as bare,
        Server(env, app_log, "app:create_app()") as server,
        Server(env, floor_log, "signed_in_app:create()", "--pythonpath", str(BENCH_DIR)) as floor,
    ):
        print(f"  bare Flask app on {bare.base}, Preceptor on {server.base}", flush=True)
        cookie = sign_in(server.base, subjects["mentor"], subjects["password"])
        targets = [
            (Page("bare Flask /healthz", "/healthz", None, None, signed_in=False), bare),
            (Page("/healthz", "/healthz", 80, "wrk bare Flask /healthz", signed_in=False), server),
            (Page("signed-in floor", "/bench/signed-in", None, "wrk /healthz"), floor),
            (Page("lesson", subjects["lesson"], 50, "wrk /healthz"), server),
            (Page("catalog", "/courses/", 40, "wrk /healthz"), server),
            (Page("forum thread", subjects["thread"], 30, "wrk /healthz"), server),
        ]
        best: dict[str, Row] = {}
        for _ in range(args.rounds):
            for page, target in targets:
                earlier = best.get(page.name)
                if earlier is not None and earlier.verdict == "ERROR":
                    continue  # it failed in an earlier round: once is enough
                row = wrk_row(database, page, target, cookie, args)
                if not (bare.is_running() and server.is_running() and floor.is_running()):
                    raise BenchError(f"gunicorn died during the run:\n{server.log_tail()}")
                if earlier is None or is_better(row, earlier):
                    best[page.name] = row
    rows = [best[page.name] for page, _ in targets]
    judge_throughput(rows)
    return rows


def is_better(row: Row, than: Row) -> bool:
    """More requests/s; an error always wins, so that it is reported."""
    if row.verdict == "ERROR":
        return True
    return (row.requests_per_second or 0) > (than.requests_per_second or 0)


def judge_throughput(rows: list[Row]) -> None:
    by_route = {row.route: row for row in rows}
    for row in rows:
        if row.verdict == "ERROR":
            continue
        goal, reference = row.details.get("goal_percent"), row.details.get("reference")
        if reference is None:
            row.verdict = "baseline"
            continue
        if goal is not None:
            row.goal = f">= {goal:g} % of {reference.removeprefix('wrk ')}"
        base = by_route.get(reference)
        if base is None or not base.requests_per_second:
            row.verdict = "-"
            continue
        percent = 100 * row.requests_per_second / base.requests_per_second
        row.ratio = f"{percent:.0f} %"
        row.details["percent"] = percent
        if goal is None:
            row.verdict = "-"  # shown for comparison (the signed-in floor), no goal of its own
        else:
            row.verdict = "PASS" if percent >= goal else "BELOW"


# --- in process -----------------------------------------------------------------------


def in_process_rows(env: dict[str, str], instance: Path, args, database: str) -> list[Row]:
    out = instance / "in_process.json"
    bench_script(
        env,
        "in_process.py",
        "--subjects", str(instance / "subjects.json"),
        "--out", str(out),
        "--repeats", str(args.repeats),
        "--heavy-repeats", str(args.heavy_repeats),
        "--route-budget", f"{args.route_budget:g}",
        timeout=IN_PROCESS_TIMEOUT,
    )  # fmt: skip
    measurements = json.loads(out.read_text())
    return [in_process_row(database, measured, args.mentors) for measured in measurements]


def in_process_row(database: str, measured: dict, mentors: int) -> Row:
    row = Row(database, measured["name"], measured["path"], details=measured)
    if measured["error"]:
        row.verdict, row.notes = "ERROR", measured["error"]
        return row
    row.p50_ms, row.p99_ms = measured["p50_ms"], measured["p99_ms"]
    row.queries = measured["queries"]
    notes = []
    if measured["queries_range"]:
        low, high = measured["queries_range"]
        notes.append(f"queries {low}-{high}")
    if measured["csv_rows"] is not None:
        notes.append(f"{measured['csv_rows']:,} rows, {measured['response_bytes'] / 1e6:.1f} MB")
    if measured["peak_memory_bytes"] is not None:
        notes.append(f"peak memory +{measured['peak_memory_bytes'] / 1e6:.1f} MB")
    if measured["samples"] < measured["planned"]:
        notes.append(f"{measured['samples']} requests (--route-budget)")
    row.notes = ", ".join(notes)
    judge_server_time(row, measured["goal_ms"], mentors)
    return row


def judge_server_time(row: Row, goal_ms: float | None, mentors: int) -> None:
    """The time goals hold at 10,000 mentors; a larger shape is judged by its growth."""
    if goal_ms is None:
        row.verdict = "-"
    elif mentors > DEFAULT_MENTORS:
        row.verdict = "-"
        row.notes = ", ".join(filter(None, [row.notes, "time goal is at 10k: see growth rows"]))
    else:
        row.goal = f"p50 <= {goal_ms / 1000:g} s" if goal_ms >= 1000 else f"p50 <= {goal_ms:g} ms"
        row.verdict = "PASS" if row.p50_ms <= goal_ms else "BELOW"


# --- growth from 10,000 to 100,000 mentors ----------------------------------------------

SCALING_ROUTES = ("dashboard", "dashboard filtered", "API mentors")
SCALING_LIMIT = 3  # at most 3x the smaller shape's p50
# "Does not grow with rows": some noise allowed, not 10x the rows.
MEMORY_LIMIT, MEMORY_SLACK_BYTES = 1.5, 2_000_000


def saved_runs() -> Iterator[tuple[Path, dict]]:
    """Every run saved under bench/results/, newest first."""
    for path in sorted(RESULTS_DIR.glob("*.json"), reverse=True):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(document, dict) and isinstance(document.get("mentors"), int):
            yield path, document


def reference_run(mentors: int) -> tuple[Path, dict] | None:
    """The newest saved run with fewer mentors, a 10,000-mentor one first."""
    smaller = [(p, d) for p, d in saved_runs() if d["mentors"] < mentors]
    preferred = [(p, d) for p, d in smaller if d["mentors"] == DEFAULT_MENTORS]
    return (preferred or smaller or [None])[0]


def scaling_rows(rows: list[Row], mentors: int, fingerprint: str) -> list[Row]:
    reference = reference_run(mentors)
    if reference is None:
        return []
    path, document = reference
    source = path.name
    if document.get("code", {}).get("fingerprint") != fingerprint:
        source += "; other code than this run"
    before = {(r["database"], r["route"]): r for r in document.get("rows", [])}
    added = []
    for row in rows:
        old = before.get((row.database, row.route))
        if old is None or row.verdict == "ERROR" or old.get("verdict") == "ERROR":
            continue
        label = f"{row.route} {short_count(document['mentors'])} -> {short_count(mentors)}"
        if row.route in SCALING_ROUTES and old.get("p50_ms"):
            added.append(time_growth_row(row, old, label, source))
        elif row.route == "CSV" and (old.get("details") or {}).get("peak_memory_bytes"):
            added.append(memory_growth_row(row, old, label, source))
    return added


def short_count(mentors: int) -> str:
    return f"{mentors // 1000}k" if mentors % 1000 == 0 else f"{mentors:,}"


def code_fingerprint() -> str:
    """A hash of the app's code and content as they are on disk (edits not yet committed
    included), so that two saved runs can tell whether they measured the same code."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def git(*args: str) -> str:
    """A read-only git question about the repository ("" when git cannot answer)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def measured_code() -> dict:
    commit = git("rev-parse", "--short", "HEAD")
    changed = bool(git("status", "--porcelain", "--", *CODE_DIRS))
    return {
        "commit": commit + (" with uncommitted changes" if commit and changed else ""),
        "fingerprint": code_fingerprint(),
    }


def time_growth_row(row: Row, old: dict, label: str, source: str) -> Row:
    growth = row.p50_ms / old["p50_ms"]
    same_queries = row.queries == old.get("queries")
    passed = growth <= SCALING_LIMIT and same_queries
    return Row(
        row.database,
        label,
        row.path,
        p50_ms=row.p50_ms,
        queries=row.queries,
        ratio=f"{growth:.1f}x p50",
        goal=f"<= {SCALING_LIMIT}x, queries {old.get('queries')}",
        verdict="PASS" if passed else "BELOW",
        notes=f"was {format_ms(old['p50_ms'])} ({source})",
    )


def memory_growth_row(row: Row, old: dict, label: str, source: str) -> Row:
    was = old["details"]["peak_memory_bytes"]
    now = row.details["peak_memory_bytes"]
    growth = now / was if was else float("inf")
    return Row(
        row.database,
        f"{label} memory",
        row.path,
        ratio=f"{growth:.1f}x peak",
        goal=f"<= {MEMORY_LIMIT}x or +{MEMORY_SLACK_BYTES / 1e6:g} MB",
        verdict="PASS" if growth <= MEMORY_LIMIT or now - was <= MEMORY_SLACK_BYTES else "BELOW",
        notes=f"peak +{now / 1e6:.1f} MB, was +{was / 1e6:.1f} MB ({source})",
    )


# --- the report -------------------------------------------------------------------------

COLUMNS = (
    "database",
    "route",
    "requests/s",
    "p50",
    "p99",
    "queries",
    "ratio",
    "goal",
    "verdict",
    "notes",
)
NUMERIC = {"requests/s", "p50", "p99", "queries", "ratio"}


def format_ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def cells(row: Row) -> tuple[str, ...]:
    return (
        row.database,
        row.route,
        f"{row.requests_per_second:,.0f}" if row.requests_per_second is not None else "-",
        format_ms(row.p50_ms),
        format_ms(row.p99_ms),
        str(row.queries) if row.queries is not None else "-",
        row.ratio or "-",
        row.goal or "-",
        row.verdict or "-",
        row.notes,
    )


def text_table(rows: list[Row]) -> str:
    lines = [COLUMNS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = []
    for number, line in enumerate(lines):
        padded = [
            cell.rjust(width) if name in NUMERIC and number else cell.ljust(width)
            for name, cell, width in zip(COLUMNS, line, widths, strict=True)
        ]
        out.append("  ".join(padded).rstrip())
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    def line(values) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    aligns = ["---:" if name in NUMERIC else "---" for name in COLUMNS]
    return "\n".join(
        [line(COLUMNS), "| " + " | ".join(aligns) + " |", *map(line, map(cells, rows))]
    )


def settings_line(args: argparse.Namespace) -> str:
    line = (
        f"{args.mentors:,} mentors, {args.posts:,} forum posts; in process: median and p99 "
        f"of {args.repeats} requests ({args.heavy_repeats} for the CSV and the PDF)"
    )
    if not args.skip_wrk:
        line += (
            f"; wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, best of "
            f"{args.rounds}, against gunicorn -c gunicorn.conf.py"
        )
    return f"{line}; {os.cpu_count()} CPUs, shared with the machine's other work."


def markdown_report(
    rows: list[Row], args: argparse.Namespace, stamp: str, load: tuple, code: dict
) -> str:
    return (
        f"Run {stamp} of {code['commit'] or 'the code'} (fingerprint {code['fingerprint']}) "
        f"on {platform.platform(terse=True)}, Python {platform.python_version()}: "
        f"{settings_line(args)} 1-minute load average {load[0]:.1f} before the run.\n\n"
        f"{markdown_table(rows)}\n"
    )


def save(rows: list[Row], args: argparse.Namespace, load: tuple[float, float], code: dict) -> Path:
    """The JSON of the run, latest.md, and the table in bench/README.md."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}-{args.mentors}-mentors.json"
    document = {
        "when": stamp,
        "mentors": args.mentors,
        "posts": args.posts,
        "host": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average_1min": {"before": load[0], "after": load[1]},
        "code": code,
        "gunicorn": f"-c {GUNICORN_CONF.name}",
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        "in_process": {"repeats": args.repeats, "heavy_repeats": args.heavy_repeats},
        "rows": [asdict(row) for row in rows],
    }
    document["markdown"] = markdown_report(rows, args, stamp, load, code)
    path.write_text(json.dumps(document, indent=2) + "\n")
    (RESULTS_DIR / "latest.md").write_text(f"# Latest bench run\n\n{document['markdown']}")
    update_readme()
    return path


def update_readme() -> None:
    """bench/README.md shows the newest saved run of each size (10,000 mentors, ...)."""
    newest: dict[int, dict] = {}
    for _, document in saved_runs():
        if "markdown" in document:
            newest.setdefault(document["mentors"], document)
    sections = [f"### {m:,} mentors\n\n{newest[m]['markdown']}" for m in sorted(newest)]
    try:
        text = README.read_text()
    except OSError:
        return
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start or not sections:
        return
    block = "\n".join(sections)
    README.write_text(f"{text[: start + len(README_START)]}\n{block}{text[end:]}")


# --- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentors", type=int, default=DEFAULT_MENTORS, help="(10,000)")
    parser.add_argument("--posts", type=int, help="forum posts (mentors / 2)")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server to run on too (default: TEST_DATABASE_URL when set)",
    )
    parser.add_argument("--sqlite-only", action="store_true", help="ignore TEST_DATABASE_URL")
    parser.add_argument("--skip-wrk", action="store_true", help="in-process measurements only")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep (and reuse) the build")
    parser.add_argument("--repeats", type=int, default=20, help="timed requests per route (20)")
    parser.add_argument("--heavy-repeats", type=int, default=5, help="for the CSV and PDF (5)")
    parser.add_argument("--route-budget", type=float, default=60, help="seconds per route (60)")
    parser.add_argument("--duration", type=float, default=5, help="wrk seconds per page (5)")
    parser.add_argument("--warmup", type=float, default=1, help="wrk seconds of warm-up (1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--rounds", type=int, default=2, help="wrk runs per page, best kept (2)")
    parser.add_argument(
        "--no-save", "--no-json", action="store_true", help="write nothing to bench/results/"
    )
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args(argv)
    if not 100 <= args.mentors <= 1_000_000:
        parser.error("--mentors must be in [100, 1000000]")
    if args.posts is None:
        args.posts = max(50, args.mentors // 2)
    if not 0 < args.duration <= 120:
        parser.error("--duration must be in (0, 120]")
    if not 0 <= args.warmup <= 30:
        parser.error("--warmup must be in [0, 30]")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be in [1, 10]")
    if not 3 <= args.repeats <= 1000 or not 1 <= args.heavy_repeats <= 100:
        parser.error("--repeats must be in [3, 1000] and --heavy-repeats in [1, 100]")
    return args


def targets(args: argparse.Namespace) -> list[Target]:
    found = [Target("SQLite", "sqlite")]
    server_url = postgres_server_url(args)
    if server_url:
        found.append(Target("PostgreSQL", "postgresql", server_url))
    return found


def check_tools(args: argparse.Namespace) -> None:
    if not args.skip_wrk and shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: apt-get install -y wrk (or pass --skip-wrk)")
    for tool in ("preceptor", "gunicorn", "python"):
        if not (BIN / tool).exists():
            raise BenchError(f"{BIN / tool} is missing: run `make install-dev` first")
    if not GUNICORN_CONF.exists():
        raise BenchError(f"{GUNICORN_CONF} is missing: the servers take their settings from it")


def bench_database(target: Target, workdir: Path, args: argparse.Namespace) -> list[Row]:
    instance = workdir / target.key
    print(f"\n[{target.label}] instance {instance}", flush=True)
    with database_for(target, instance, args) as (database_url, reuse):
        env = bench_env(instance, database_url)
        subjects = prepare(env, instance, args, reuse)
        print(f"[{target.label}] in process", flush=True)
        rows = in_process_rows(env, instance, args, target.label)
        if not args.skip_wrk:
            print(f"[{target.label}] wrk", flush=True)
            rows = wrk_rows(env, instance, subjects, args, target.label) + rows
    return rows


def run(args: argparse.Namespace, fingerprint: str) -> list[Row]:
    check_tools(args)
    chosen = targets(args)
    workdir = (
        args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="preceptor-bench-"))
    )
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        rows = []
        for target in chosen:
            rows += bench_database(target, workdir, args)
        return rows + scaling_rows(rows, args.mentors, fingerprint)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _terminated(_signum, _frame) -> None:
    raise KeyboardInterrupt  # unwinds through the finally blocks: servers stop, temp goes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    load_before = os.getloadavg()[0]
    code = measured_code()
    try:
        rows = run(args, code["fingerprint"])
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted", file=sys.stderr)
        return 130
    load = (load_before, os.getloadavg()[0])
    print()
    print(text_table(rows))
    print()
    print(settings_line(args))
    if load_before > 0.5:
        print(
            f"note: the machine was already busy (1-min load average {load_before:.1f}): "
            "requests/s and the ratios are noisy; server CPU per request much less so."
        )
    if not args.no_save:
        saved = save(rows, args, load, code).relative_to(ROOT)
        print(f"results: {saved}, bench/results/latest.md")
    broken = [f"{row.database} {row.route}" for row in rows if row.verdict == "ERROR"]
    if broken:
        print(f"bench failed: not measured: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
