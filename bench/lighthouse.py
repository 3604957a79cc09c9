"""Lighthouse's mobile audit of the first screen each role opens, signed in, and of the sign-in
page: performance, accessibility and best-practices scores and largest contentful paint (goal of
issue 16: 100/100/100 and LCP <= 1.2 s on every one).

Starts `lantern serve` on loopback with the demo data (SQLite in a temporary folder), then runs
the npm `lighthouse` package (pinned in bench/lighthouse/package.json, installed there only:
`make lighthouse` runs `npm ci` in it) with Debian's Chromium, headless, through
bench/lighthouse/audit.mjs, which signs in through the form (the PWA keeps its token sealed in
IndexedDB) and then measures the screen with a cold HTTP cache and no service worker. Lighthouse's
default config is the mobile preset (simulated Slow 4G, 4x CPU slowdown, 412x823 screen).

    .venv/bin/python bench/lighthouse.py [--runs 1] [--only board,sign-in] [--verbose] [--probe] [--profile]

Needs a built PWA (`make pwa`), node and /usr/bin/chromium. About 20 s a screen on an idle machine."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.demo import DEMO_PASSWORD  # noqa: E402
from bench.common import ROOT, bench_env, free_port, run_cli, server  # noqa: E402

HERE = ROOT / "bench" / "lighthouse"
# (screen, role, path, demo username): the screen each role opens first (issue 16's list).
SCREENS = [
    ("sign-in", "signed out", "/", None),
    ("report form", "police", "/report", "custody.euston"),
    ("my reports", "police", "/reports", "custody.euston"),
    ("worker home", "worker", "/on-call", "worker.cse"),
    ("inbox", "worker", "/incidents", "worker.cse"),
    ("handover queue", "day_team", "/handover", "day.cse"),
    ("board", "manager", "/board", "manager.duty"),
    ("admin home", "admin", "/admin", "admin"),
    ("places", "coordinator", "/places", "coordinator.hubs"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1, help="audits per screen; the median is shown")
    parser.add_argument("--only", default="", help="comma-separated screen names")
    parser.add_argument("--verbose", action="store_true", help="list the audits that lost points")
    parser.add_argument(
        "--probe",
        action="store_true",
        help="instead of Lighthouse: name each screen's LCP element and its time (lcp-probe.mjs)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of Lighthouse: the functions with the most main-thread time while each screen loads (profile.mjs)",
    )
    args = parser.parse_args()
    dist = ROOT / "pwa" / "dist"
    if not (dist / "index.html").exists():
        raise SystemExit("build the PWA first: make pwa")
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "lighthouse").is_dir():
        raise SystemExit("install Lighthouse first: make lighthouse (npm ci in bench/lighthouse)")
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    screens = [s for s in SCREENS if not wanted or s[0] in wanted]

    folder = tempfile.mkdtemp(prefix="lantern-bench-lighthouse-")
    env = bench_env(f"sqlite+aiosqlite:///{folder}/bench.db", LANTERN_PWA_DIST=str(dist))
    run_cli(["migrate"], env)
    run_cli(["demo"], env)
    port = free_port()
    command = [sys.executable, "-m", "workers.cli", "serve", "--no-worker", "--port", str(port)]
    plan = [
        {"name": name, "path": path, "username": username, "password": DEMO_PASSWORD if username else None}
        for name, _, path, username in screens
        for _ in range(args.runs)
    ]
    plan_file = Path(folder) / "screens.json"
    plan_file.write_text(json.dumps(plan))
    results: dict[str, list[dict]] = {}
    # Start-up alone took 30-60 s at load 10-14 on this machine's two cores: wait up to 3 min.
    with server(command, env, port, ready_seconds=180):
        if args.probe:
            probe = [node, str(HERE / "lcp-probe.mjs"), f"http://127.0.0.1:{port}/", str(plan_file)]
            subprocess.run(probe, cwd=HERE, check=True, timeout=600)
            return
        if args.profile:
            profile = [node, str(HERE / "profile.mjs"), f"http://127.0.0.1:{port}/", str(plan_file)]
            subprocess.run(profile, cwd=HERE, check=True, timeout=600)
            return
        process = subprocess.Popen(
            [node, str(HERE / "audit.mjs"), f"http://127.0.0.1:{port}/", str(plan_file)],
            cwd=HERE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            row = json.loads(line)
            results.setdefault(row["name"], []).append(row)
            print(
                f"  {row['name']}: {row['performance']}/{row['accessibility']}/{row['best_practices']}"
                f" LCP {row['lcp_ms'] / 1000:.2f} s",
                file=sys.stderr,
            )
        if process.wait() != 0:
            raise SystemExit(f"audit.mjs failed ({process.returncode})")

    load = os.getloadavg()
    print(
        f"Lighthouse 12.2.3 mobile preset, Debian Chromium headless, median of {args.runs} run(s)"
        f" per screen; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    print("| screen | role | path | performance | accessibility | best practices | LCP | FCP | TBT |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, role, path, _ in screens:
        rows = results[name]

        def median(key: str, rows: list[dict] = rows) -> float:
            return statistics.median(row[key] for row in rows)

        landed = rows[0]["final_path"]
        shown = path if landed == path else f"{path} (landed on {landed})"
        print(
            f"| {name} | {role} | {shown} | {median('performance'):.0f} | {median('accessibility'):.0f}"
            f" | {median('best_practices'):.0f} | {median('lcp_ms') / 1000:.2f} s"
            f" | {median('fcp_ms') / 1000:.2f} s | {median('tbt_ms'):.0f} ms |"
        )
    if args.verbose:
        for name, rows in results.items():
            for row in rows:
                print(f"\n{name} ({row['path']}): LCP element {row['lcp_element']}")
                for item in row["failing"]:
                    print(f"  {item['category']}: {item['id']} score {item['score']} {item['value']}")


if __name__ == "__main__":
    main()
