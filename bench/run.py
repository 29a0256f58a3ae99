"""Measure the main pages against a bare route, with gunicorn and wrk, on 127.0.0.1 only.

Builds a throw-away instance (SQLite, the repository's courses, the demo's users and
forum threads, one mentor), serves it with gunicorn, signs in, and runs wrk against
/healthz, the catalog, a lesson page and a forum thread.
Prints requests/s, p99 latency and each page's throughput as a percentage of /healthz.

The ratios are a measurement, not a test: the exit status is 0 whatever they are, and
nonzero only when something breaks (the server, the sign-in, wrk, or any non-2xx/3xx).
"""

import argparse
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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

EMAIL = "bench@bench.example"
NAME = "Bench Mentor"
PASSWORD = "quartz-meadow-violin-73"  # noqa: S105 (a throw-away account in a temp database)
# Flask-Login's session protection hashes the address and User-Agent: wrk must send
# the same one urllib signed in with, or every response would rewrite the cookie.
USER_AGENT = "preceptor-bench"

# Settings that could point the server at something other than the temp instance.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "SECRET_KEY",
    "PRECEPTOR_CONTENT_DIR",
    "RATELIMIT_STORAGE_URI",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "SIGNUP_EMAIL_DOMAINS",
)

CLI_TIMEOUT = 120  # seconds for each `preceptor` command
STARTUP_TIMEOUT = 30  # seconds for gunicorn to answer /healthz
HTTP_TIMEOUT = 10  # seconds for each urllib request
STOP_TIMEOUT = 10  # seconds for gunicorn to exit after SIGTERM

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORUM_THREAD = "/forum/t/1/"  # the demo's first thread: a welcome post and its replies
LESSON_LINK = re.compile(r'href="(/courses/[a-z0-9-]+/[a-z0-9-]+/)"')


class BenchError(Exception):
    """Something other than the ratios went wrong: the run is not a measurement."""


@dataclass
class Page:
    name: str
    path: str
    goal_percent: float | None  # of /healthz's requests/s; None for the baseline
    signed_in: bool = True


@dataclass
class Result:
    page: str
    url: str
    requests_per_second: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    server_cpu_ms_per_request: float | None = None
    percent_of_baseline: float | None = None
    goal_percent: float | None = None
    verdict: str = ""


# --- the instance and the server ------------------------------------------------------


def bench_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        PRECEPTOR_INSTANCE_PATH=str(instance),
        PRECEPTOR_ENV="development",  # cookies without Secure, so they work over http
        PRECEPTOR_CONTENT_DIR=str(ROOT),
        RATELIMIT_STORAGE_URI="memory://",
        PYTHONUNBUFFERED="1",
    )
    return env


def preceptor(env: dict[str, str], *args: str) -> str:
    command = [str(BIN / "preceptor"), *args]
    try:
        done = subprocess.run(
            command,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"`preceptor {' '.join(args[:2])}` took over {CLI_TIMEOUT}s") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise BenchError(f"`preceptor {' '.join(args[:2])}` failed ({done.returncode}):\n{tail}")
    return done.stdout


def prepare_instance(env: dict[str, str]) -> None:
    preceptor(env, "db", "upgrade")
    preceptor(env, "content", "sync")
    preceptor(env, "demo")  # forum threads for the thread page
    preceptor(
        env,
        "users", "create", "--email", EMAIL, "--name", NAME,
        "--role", "mentor", "--password", PASSWORD,
    )  # fmt: skip


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
    """gunicorn in its own process group, stopped (and its workers with it) on exit."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path):
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def __enter__(self) -> "Server":
        command = [
            str(BIN / "gunicorn"),
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--graceful-timeout", "5",
            *_no_control_socket(),
            "app:create_app()",
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
    """urllib with a cookie jar: just enough to sign in and click a button."""

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


def signed_in_page(browser: Browser, path: str) -> str:
    final, page = browser.get(path)
    if final != path or 'name="password"' in page:
        raise BenchError(f"GET {path} showed the sign-in form (ended at {final}): not signed in")
    return page


def sign_in_and_prepare(base: str) -> tuple[str, str]:
    """Sign in, mark the first lesson complete, and return (session cookie, lesson path)."""
    browser = Browser(base)
    token = browser.csrf_token("/auth/login")
    browser.post("/auth/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    catalog = signed_in_page(browser, "/courses/")
    if "Courses" not in catalog:
        raise BenchError("GET /courses/ did not show the catalog")
    # With nothing done yet, the catalog's "Start here" button is the first lesson of
    # the first course: the same one whatever the synced content is.
    link = LESSON_LINK.search(catalog)
    if not link:
        raise BenchError("the catalog links to no lesson: did `content sync` import anything?")
    lesson = link.group(1)
    token = browser.csrf_token(lesson)
    final, _ = browser.post(lesson + "complete", {"csrf_token": token})
    if final.startswith("/auth/"):
        raise BenchError(f"marking {lesson} complete sent us to {final}")
    # The wording is the templates' (and may change): a warning, not a failure.
    if f'action="{lesson}complete"' in signed_in_page(browser, lesson):
        print(f"  warning: {lesson} still offers 'Mark complete' after marking it complete")
    if "1 of " not in signed_in_page(browser, "/courses/"):
        print("  warning: the catalog does not seem to show the completed lesson")
    # The cookie now holds the login and a CSRF token: later pages leave it as it is.
    return browser.session_cookie(), lesson


# --- wrk --------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p99 and total):
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


def probe(server: "Server", page: Page, cookie: str | None) -> None:
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


def measure(page: Page, server: "Server", cookie: str, args: argparse.Namespace) -> Result:
    url = server.base + page.path
    session = cookie if page.signed_in else None
    probe(server, page, session)
    if args.warmup > 0:  # compiled templates, warm connection pools, in both workers
        wrk(url, session, args, args.warmup)
    master = server.process.pid if server.process else 0
    cpu_before = server_cpu_seconds(master)
    output = wrk(url, session, args, args.duration)
    cpu_after = server_cpu_seconds(master)
    probe(server, page, session)
    if args.verbose:
        print(output)
    numbers = parse_wrk(output)
    result = Result(page=page.name, url=page.path, goal_percent=page.goal_percent, **numbers)
    if cpu_before is not None and cpu_after is not None and result.requests:
        result.server_cpu_ms_per_request = 1000 * (cpu_after - cpu_before) / result.requests
    if result.non_2xx_3xx:
        raise BenchError(
            f"{page.path}: {result.non_2xx_3xx} of {result.requests} responses were not "
            f"2xx/3xx (signed out? rate-limited? server errors?)\n{output}"
        )
    if result.socket_errors.get("connect") or result.socket_errors.get("timeout"):
        raise BenchError(f"{page.path}: socket errors {result.socket_errors}\n{output}")
    if result.requests == 0:
        raise BenchError(f"{page.path}: wrk completed no request\n{output}")
    return result


# --- report ---------------------------------------------------------------------------


def judge(results: list[Result]) -> None:
    baseline = results[0].requests_per_second
    for result in results:
        result.percent_of_baseline = 100 * result.requests_per_second / baseline
        if result.goal_percent is None:
            result.verdict = "baseline"
        else:
            passed = result.percent_of_baseline >= result.goal_percent
            result.verdict = "PASS" if passed else "BELOW"


def table(results: list[Result]) -> str:
    header = ("page", "path", "requests/s", "p99", "server CPU", "of /healthz", "goal", "")
    rows = [header]
    for r in results:
        cpu = r.server_cpu_ms_per_request
        rows.append(
            (
                r.page,
                r.url,
                f"{r.requests_per_second:,.0f}",
                f"{r.p99_ms:.1f} ms",
                f"{cpu:.2f} ms/req" if cpu is not None else "-",
                f"{r.percent_of_baseline:.0f} %",
                f">= {r.goal_percent:.0f} %" if r.goal_percent is not None else "-",
                r.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    left = 2  # page and path are text; the rest are numbers
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:left], widths, strict=False)]
        cells += [
            cell.rjust(width) for cell, width in zip(row[left:-1], widths[left:-1], strict=True)
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths).rstrip())
    return "\n".join(lines)


def write_json(results: list[Result], args: argparse.Namespace, load: tuple[float, float]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    document = {
        "when": stamp,
        "host": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average_1min": {"before": load[0], "after": load[1]},
        "gunicorn_workers": args.workers,
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


# --- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per page (5)")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of warm-up (1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.duration > 120:
        parser.error("--duration must be in (0, 120]")
    if not 0 <= args.warmup <= 30:
        parser.error("--warmup must be in [0, 30]")
    return args


def run(args: argparse.Namespace) -> list[Result]:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: apt-get install -y wrk")
    for tool in ("preceptor", "gunicorn"):
        if not (BIN / tool).exists():
            raise BenchError(f"{BIN / tool} is missing: run `make install` first")
    instance = Path(tempfile.mkdtemp(prefix="preceptor-bench-"))
    try:
        env = bench_env(instance)
        print(f"instance {instance}: migrating, syncing courses, creating {EMAIL}", flush=True)
        prepare_instance(env)
        port = free_port()
        with Server(env, port, args.workers, instance / "gunicorn.log") as server:
            print(f"gunicorn ({args.workers} workers) on {server.base}", flush=True)
            cookie, lesson = sign_in_and_prepare(server.base)
            pages = [
                Page("bare route", "/healthz", None, signed_in=False),
                Page("lesson", lesson, 50),
                Page("catalog", "/courses/", 40),
                Page("forum thread", FORUM_THREAD, 40),
            ]
            results = []
            for page in pages:
                print(
                    f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
                    f"{page.path} ...",
                    flush=True,
                )
                try:
                    results.append(measure(page, server, cookie, args))
                except BenchError as error:
                    raise BenchError(f"{error}\n--- server log ---\n{server.log_tail()}") from None
                if server.process is None or server.process.poll() is not None:
                    raise BenchError(f"gunicorn died during the run:\n{server.log_tail()}")
        judge(results)
        return results
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _terminated(_signum, _frame) -> None:
    raise KeyboardInterrupt  # unwinds through the finally blocks: gunicorn stops, temp goes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    load_before = os.getloadavg()[0]
    try:
        results = run(args)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted", file=sys.stderr)
        return 130
    load = (load_before, os.getloadavg()[0])
    print()
    print(table(results))
    print()
    if load_before > 0.5:  # after the run, the load is mostly wrk and gunicorn themselves
        print(
            f"note: the machine was already busy (1-min load average {load_before:.1f}): "
            "requests/s and the ratios are noisy; server CPU per request much less so."
        )
    print(
        f"gunicorn {args.workers} workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s, {os.cpu_count()} CPUs (wrk shares them with the server). "
        "Goals are throughput as a share of /healthz; this is a measurement, not a test."
    )
    if not args.no_json:
        print(f"results: {write_json(results, args, load).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
