"""Server time and SQL statements per request, in process: no network, no server.

Run by run.py in the bench's environment (create_app() opens the bench database), with
the JSON build_data.py wrote (who to sign in as, which pages to open). For each route:
sign in with Flask's test client as the right person, warm up, then time --repeats
requests one after another (fewer for a PDF or the CSV), each from the request to the
last byte of the response, and count the SQL statements each runs. The CSV is also
measured once under tracemalloc for its peak memory. Writes the numbers as JSON to --out.
"""

import argparse
import json
import math
import re
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from app import create_app
from app.api.tokens import create_token
from app.auth.models import User
from app.clock import utcnow
from app.extensions import db

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WARMUP_REQUESTS = 2  # templates compiled, caches and connections warm
MIN_SAMPLES = 3  # even when a route is so slow that the time budget runs out


class MeasureError(Exception):
    """The route did not answer as a page should: there is nothing to time."""


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    # "mentor", "certified", "coordinator" (an educator too), "api" (a coordinator's
    # token), "anyone"
    who: str
    goal_ms: float | None = None  # the median must be at most this
    heavy: bool = False  # a PDF or the CSV: --heavy-repeats timed requests
    content_type: str = "text/html"


@dataclass
class Measurement:
    name: str
    path: str
    planned: int = 0  # timed requests asked for; fewer when --route-budget ran out
    samples: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    queries: int | None = None  # the median per request
    queries_range: tuple[int, int] | None = None  # when they differed between requests
    goal_ms: float | None = None
    response_bytes: int | None = None
    csv_rows: int | None = None
    peak_memory_bytes: int | None = None
    error: str | None = None


def routes(subjects: dict) -> list[Route]:
    filtered = (
        f"/coordinator/?status=in_progress&specialty={subjects['specialty'].replace(' ', '+')}"
        "&sort=progress&dir=desc"
    )
    # Builds kept from before the statistics page was measured have no "quiz_stats".
    stats = [
        Route("quiz stats", subjects[key], "coordinator", goal_ms=1000)
        for key in ("quiz_stats",)
        if key in subjects
    ]
    return [
        Route("lesson", subjects["lesson"], "mentor"),
        Route("catalog", "/courses/", "mentor"),
        Route("course", subjects["course"], "mentor"),
        Route("quiz result", subjects["quiz_result"], "mentor"),
        Route("dashboard", "/coordinator/", "coordinator", goal_ms=50),
        Route("dashboard filtered", filtered, "coordinator", goal_ms=50),
        Route(
            "CSV",
            "/coordinator/mentors.csv",
            "coordinator",
            goal_ms=1000,
            heavy=True,
            content_type="text/csv",
        ),
        Route(
            "API mentors",
            "/api/v1/mentors?per_page=50",
            "api",
            goal_ms=50,
            content_type="application/json",
        ),
        Route("mentee suggestions", subjects["mentee"], "coordinator"),
        Route("verify page", subjects["verify"], "anyone"),
        Route("forum thread", subjects["thread"], "mentor"),
        Route(
            "certificate PDF",
            subjects["certificate_pdf"],
            "certified",
            heavy=True,
            content_type="application/pdf",
        ),
        *stats,
    ]


# --- who asks -----------------------------------------------------------------------------


def signed_in_client(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_INPUT.search(page)
    if token is None:
        raise MeasureError("no csrf_token on /auth/login")
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    response = client.post("/auth/login", data=form)
    where = response.headers.get("Location", "")
    if response.status_code != 302 or "/auth/" in where or "/mfa" in where:
        raise MeasureError(f"signing in as {email} answered {response.status_code} {where}")
    return client


def api_token(app: Flask, email: str) -> str:
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == email))
        _, plaintext = create_token(owner, "bench", now=utcnow())
        db.session.commit()
    return plaintext


@dataclass
class Caller:
    client: FlaskClient
    headers: dict[str, str]


def callers(app: Flask, subjects: dict) -> dict[str, Caller]:
    password = subjects["password"]
    return {
        "mentor": Caller(signed_in_client(app, subjects["mentor"], password), {}),
        "certified": Caller(signed_in_client(app, subjects["certified"], password), {}),
        "coordinator": Caller(signed_in_client(app, subjects["coordinator"], password), {}),
        "api": Caller(
            app.test_client(),
            {"Authorization": f"Bearer {api_token(app, subjects['coordinator'])}"},
        ),
        "anyone": Caller(app.test_client(), {}),
    }


# --- one request --------------------------------------------------------------------------


class QueryCounter:
    """SQL statements sent to the database, as tests/conftest.py's queries_for counts them."""

    def __init__(self, engine: Engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, *_args) -> None:
        self.count += 1


@dataclass(frozen=True)
class Sample:
    seconds: float
    queries: int
    size: int  # bytes of the whole response
    lines: int
    head: bytes  # its first KEPT_BYTES: a page whole, never a whole CSV


KEPT_BYTES = 512 * 1024  # the bench itself must not hold what it measures the memory of


def read_body(response) -> tuple[int, int, bytes]:
    """(size, newlines, head) of a response read chunk by chunk, as a server sends it."""
    size, lines, head = 0, 0, bytearray()
    for chunk in response.iter_encoded():
        size += len(chunk)
        lines += chunk.count(b"\n")
        if len(head) < KEPT_BYTES:
            head += chunk[: KEPT_BYTES - len(head)]
    return size, lines, bytes(head)


def request_once(caller: Caller, route: Route, counter: QueryCounter) -> Sample:
    """One GET, read to its last byte (a streamed response too), then closed."""
    counter.count = 0
    started = time.perf_counter()
    response = caller.client.get(route.path, headers=caller.headers, buffered=False)
    try:
        size, lines, head = read_body(response)
    finally:
        response.close()
    seconds = time.perf_counter() - started
    check_response(route, response.status_code, response.headers, head)
    return Sample(seconds, counter.count, size, lines, head)


def check_response(route: Route, status: int, headers, body: bytes) -> None:
    if status != 200:
        where = headers.get("Location", "")
        raise MeasureError(f"answered {status} {where}".rstrip())
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith(route.content_type):
        raise MeasureError(f"answered {content_type}, not {route.content_type}")
    if route.content_type == "text/html" and b'name="password"' in body:
        raise MeasureError("showed the sign-in form")


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: of 20 requests, the 99th percentile is the slowest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def peak_memory(caller: Caller, route: Route, counter: QueryCounter) -> int:
    """How far memory rose above where it stood while one request ran to its last byte."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        request_once(caller, route, counter)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


# --- one route ----------------------------------------------------------------------------


def measure(route: Route, caller: Caller, counter: QueryCounter, args) -> Measurement:
    repeats = args.heavy_repeats if route.heavy else args.repeats
    result = Measurement(route.name, route.path, planned=repeats, goal_ms=route.goal_ms)
    try:
        for _ in range(1 if route.heavy else WARMUP_REQUESTS):
            request_once(caller, route, counter)
        samples: list[Sample] = []
        budget_ends = time.monotonic() + args.route_budget
        while len(samples) < repeats and (
            len(samples) < MIN_SAMPLES or time.monotonic() < budget_ends
        ):
            samples.append(request_once(caller, route, counter))
        if route.content_type == "text/csv":
            result.peak_memory_bytes = peak_memory(caller, route, counter)
    except MeasureError as error:
        result.error = str(error)
        return result
    except Exception as error:  # the app is changing under the bench: report it, go on
        result.error = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        return result
    milliseconds = [1000 * s.seconds for s in samples]
    queries = [s.queries for s in samples]
    result.samples = len(samples)
    result.p50_ms = statistics.median(milliseconds)
    result.p99_ms = percentile(milliseconds, 0.99)
    result.queries = round(statistics.median(queries))
    if min(queries) != max(queries):
        result.queries_range = (min(queries), max(queries))
    result.response_bytes = samples[-1].size
    if route.content_type == "text/csv":
        result.csv_rows = max(0, samples[-1].lines - 1)  # less the header
    return result


def describe(result: Measurement) -> str:
    if result.error:
        return f"  {result.name}: ERROR {result.error}"
    return (
        f"  {result.name}: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"{result.queries} queries ({result.samples} requests)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--heavy-repeats", type=int, default=5)
    parser.add_argument("--route-budget", type=float, default=60)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    subjects = json.loads(args.subjects.read_text())
    app = create_app()
    with app.app_context():
        counter = QueryCounter(db.engine)
    try:
        who = callers(app, subjects)
    except MeasureError as error:
        print(f"in process: {error}", file=sys.stderr)
        return 1
    results = []
    for route in routes(subjects):
        results.append(measure(route, who[route.who], counter, args))
        print(describe(results[-1]), flush=True)
    args.out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
