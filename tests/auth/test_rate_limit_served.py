"""The sign-in limits the README states (10 per account, 50 per address, in 15 minutes)
hold on a real server: gunicorn started from gunicorn.conf.py exactly as `make run` starts
it (one worker with threads, the memory:// store), and with several workers sharing
Redis (RATELIMIT_STORAGE_URI)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import CSRF_INPUT, PASSWORD, REQUIRE_ALL

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = ("127.0.0.1", 6379)
REDIS_DATABASE = 15  # this test's own, emptied first


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def make_run_server(tmp_path: Path, *args: str, **env: str) -> Iterator[str]:
    """gunicorn -c gunicorn.conf.py, on a migrated database with one mentor."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PRECEPTOR_INSTANCE_PATH": str(tmp_path / "instance"),
        "PRECEPTOR_ENV": "development",
        **env,
    }

    def preceptor(*command: str) -> None:
        done = subprocess.run(
            [str(BIN / "preceptor"), *command], env=environment, cwd=REPO,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    preceptor("db", "upgrade")
    preceptor(
        "users", "create", "--email", "mentor@hospital.example", "--name", "Dr. Mentor",
        "--role", "mentor", "--password", PASSWORD,
    )  # fmt: skip
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         *args, "app:create_app()"],
        env=environment, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "gunicorn.log"
            ).read_text()
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        log.close()


def sign_in_statuses(url: str, emails: list[str], password: str) -> list[int]:
    """One browser signs in with each address in turn; the status of each POST. Every
    request on a new connection, so that each may reach any worker."""
    browser = requests.Session()
    browser.headers["Connection"] = "close"
    token = CSRF_INPUT.search(browser.get(url + "/auth/login").text).group(1)
    statuses = []
    for email in emails:
        form = {"email": email, "password": password, "csrf_token": token}
        response = browser.post(url + "/auth/login", data=form, allow_redirects=False)
        statuses.append(response.status_code)
    return statuses


def test_make_runs_server_allows_10_tries_per_account_and_50_per_address(tmp_path):
    with make_run_server(tmp_path) as url:
        account = sign_in_statuses(url, ["mentor@hospital.example"] * 17, "wrong-password-x1")
        assert account == [422] * 10 + [429] * 7

        others = [f"person{i}@hospital.example" for i in range(65)]
        address = sign_in_statuses(url, others, "wrong-password-x1")
        # The 10 tries that reached the account above count for this address too.
        assert address == [422] * 40 + [429] * 25


def test_several_workers_share_the_limits_through_redis(tmp_path):
    if not _redis_answers():
        if REQUIRE_ALL:
            pytest.fail("required for CI but missing: Redis on 127.0.0.1:6379")
        pytest.skip("Redis not tested: nothing answers on 127.0.0.1:6379")
    with socket.create_connection(REDIS) as connection:
        connection.sendall(f"SELECT {REDIS_DATABASE}\r\nFLUSHDB\r\n".encode())
        connection.recv(64)
    storage = f"redis://127.0.0.1:6379/{REDIS_DATABASE}"
    with make_run_server(tmp_path, "--workers", "3", RATELIMIT_STORAGE_URI=storage) as url:
        account = sign_in_statuses(url, ["mentor@hospital.example"] * 14, "wrong-password-x1")
        assert account == [422] * 10 + [429] * 4


def test_the_access_log_never_shows_a_reset_or_invitation_secret(tmp_path):
    with make_run_server(tmp_path) as url:
        for path in ("/auth/reset/secret-token-abc", "/auth/accept/secret-token-def?x=1"):
            requests.get(url + path, timeout=5)
        requests.get(url + "/healthz", timeout=5)
    log = (tmp_path / "gunicorn.log").read_text()
    assert "GET /auth/reset/*** " in log and "GET /auth/accept/***?x=1 " in log
    assert "secret-token" not in log
    assert "GET /healthz " in log


def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_make_runs_server_refuses_ambiguous_request_framing(tmp_path):
    """No request smuggling through the app server: a request that carries both
    Content-Length and Transfer-Encoding, or two different Content-Lengths, is refused
    with 400 before the app sees it, and the connection is closed (nothing after it is
    read as a second request)."""
    smuggled = b"GET /auth/reset/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    both = (
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" % len(body)
    ) + body
    two_lengths = (
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Content-Length: 48\r\n\r\nhello" + smuggled
    )
    with make_run_server(tmp_path) as url:
        for request in (both, two_lengths):
            answer = raw_exchange(url, request)
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
            assert answer.count(b"HTTP/1.1 ") == 1, "the tail was read as a second request"
