"""Where a page's time goes under load: serve the bench's database with gunicorn (the same
settings as run.py), keep wrk on one page and sample the worker with py-spy meanwhile.

    .venv/bin/python bench/profile_page.py --keep /tmp/bench10k lesson
    .venv/bin/python bench/profile_page.py --keep /tmp/bench10k /forum/t/8/ --seconds 15

Needs a build kept by `make bench ARGS="--keep DIR"` (SQLite), wrk and py-spy
(pip install py-spy). Prints py-spy's flat top of functions by own time and by total
time (only while a thread holds the GIL: CPU, not waiting), and keeps every stack
next to the build for a closer look.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BIN, USER_AGENT, Server, bench_env, sign_in

NAMED_PAGES = {"lesson": "lesson", "thread": "thread", "course": "course"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a path, or lesson / course / thread / catalog")
    parser.add_argument("--keep", type=Path, required=True, help="the bench build (DIR)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()
    instance = args.keep / "sqlite"
    subjects = json.loads((instance / "subjects.json").read_text())
    path = subjects.get(NAMED_PAGES.get(args.page, ""), args.page)
    if args.page == "catalog":
        path = "/courses/"
    env = bench_env(instance, None)
    raw = instance / f"profile-{path.strip('/').replace('/', '-') or 'root'}.txt"
    with Server(env, instance / "gunicorn-profile.log", "app:create_app()") as server:
        cookie = sign_in(server.base, subjects["mentor"], subjects["password"])
        worker = subprocess.run(
            ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        load = subprocess.Popen(
            ["wrk", "-t2", "-c8", f"-d{args.seconds + 3}s", "-H", f"User-Agent: {USER_AGENT}",
             "-H", f"Cookie: session={cookie}", server.base + path],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1)
        subprocess.run(
            [str(BIN / "py-spy"), "record", "--pid", worker, "--duration", str(args.seconds),
             "--rate", str(args.rate), "--gil", "--nonblocking", "--format", "raw",
             "--output", str(raw)],
            check=True, capture_output=True,
        )  # fmt: skip
        load.wait()
    print_top(raw)
    print(f"\nevery stack: {raw} (py-spy's raw format, for flamegraph.pl or speedscope)")


def print_top(raw: Path, limit: int = 30) -> None:
    """py-spy's raw format: one stack per line, frames joined by ';', then a count."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue  # a frame name holding a line break: the rest of it is on this line
        # "function (path:line)" -> "function (path)": a function's lines add up
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";") if frame]
        n = int(count)
        samples += n
        if not frames:
            continue
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + n
    for title, table in (("own time", own), ("total time", total)):
        print(f"\n{title}: share of {samples} samples")
        rows = sorted(table.items(), key=lambda item: -item[1])
        if title.startswith("total"):
            rows = [row for row in rows if not row[0].startswith(("<module>", "run ("))]
        for frame, n in rows[:limit]:
            print(f"{100 * n / samples:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
