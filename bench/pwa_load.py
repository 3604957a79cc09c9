"""The sign-in screen on a slow phone connection: bytes on the wire and the time until the form
can be used, cold (first visit) and warm (a second visit: HTTP cache and service worker), in
Debian's Chromium with the DevTools "Slow 4G" profile of issue 16 (400 kbit/s, 400 ms latency).

The yardstick runs in the same process against the same server: the same pages with the
browser asking for no compression (`Accept-Encoding: identity`), i.e. what was sent before the
build pre-compressed its files.

    .venv/bin/python bench/pwa_load.py [--runs 3]

Needs a built PWA (`make pwa`) and /usr/bin/chromium. Bounded: a few runs of a few seconds."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_env, free_port, run_cli, server  # noqa: E402

CHROMIUM = os.environ.get("LANTERN_CHROMIUM", "/usr/bin/chromium")
SLOW_4G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
USABLE = """() => {
  const user = document.querySelector('#username');
  const button = document.querySelector('[data-testid=signin-form] button[type=submit]');
  return !!user && !!button && !button.disabled && user.getBoundingClientRect().height > 0;
}"""


async def visit(context, url: str, reuse_page=None) -> tuple[float, int, object]:
    """(ms until the form is usable, bytes received over the network, the page)."""
    page = reuse_page or await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    received = 0

    def finished(event: dict) -> None:
        nonlocal received
        received += int(event.get("encodedDataLength", 0))

    cdp.on("Network.loadingFinished", finished)
    started = time.perf_counter()
    if reuse_page is None:
        await page.goto(url, wait_until="commit")
    else:
        await page.reload(wait_until="commit")
    await page.wait_for_function(USABLE, polling="raf", timeout=30_000)
    usable_ms = (time.perf_counter() - started) * 1000
    await page.wait_for_load_state("networkidle")
    await cdp.detach()
    return usable_ms, received, page


async def measure(url: str, compressed: bool, runs: int) -> dict[str, float]:
    cold_ms, cold_bytes, warm_ms, warm_bytes = [], [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for _ in range(runs):
                headers = {} if compressed else {"Accept-Encoding": "identity"}
                context = await browser.new_context(
                    viewport={"width": 390, "height": 844}, extra_http_headers=headers
                )
                ms, received, page = await visit(context, url)
                cold_ms.append(ms)
                cold_bytes.append(received)
                ms, received, _ = await visit(context, url, reuse_page=page)
                warm_ms.append(ms)
                warm_bytes.append(received)
                await context.close()
        finally:
            await browser.close()
    return {
        "cold_ms": statistics.median(cold_ms),
        "cold_kib": statistics.median(cold_bytes) / 1024,
        "warm_ms": statistics.median(warm_ms),
        "warm_kib": statistics.median(warm_bytes) / 1024,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dist = ROOT / "pwa" / "dist"
    if not (dist / "index.html").exists():
        raise SystemExit("build the PWA first: make pwa")
    folder = tempfile.mkdtemp(prefix="lantern-bench-pwa-")
    env = bench_env(f"sqlite+aiosqlite:///{folder}/bench.db", LANTERN_PWA_DIST=str(dist))
    run_cli(["migrate"], env)
    port = free_port()
    command = [sys.executable, "-m", "workers.cli", "serve", "--no-worker", "--port", str(port)]
    with server(command, env, port, ready_seconds=180):  # start-up takes 30-60 s at load 10-20
        url = f"http://127.0.0.1:{port}/"
        before = await measure(url, compressed=False, runs=args.runs)
        after = await measure(url, compressed=True, runs=args.runs)
    load = os.getloadavg()
    print(
        f"Slow 4G (400 kbit/s, 400 ms), Chromium at 390x844, median of {args.runs} runs; load {load[0]:.2f}"
    )
    print("| sent | cold: KiB | cold: form usable | warm: KiB | warm: form usable |")
    print("|---|---|---|---|---|")
    for name, row in (("uncompressed (yardstick)", before), ("pre-compressed", after)):
        print(
            f"| {name} | {row['cold_kib']:.1f} | {row['cold_ms'] / 1000:.2f} s "
            f"| {row['warm_kib']:.1f} | {row['warm_ms'] / 1000:.2f} s |"
        )


if __name__ == "__main__":
    asyncio.run(main())
