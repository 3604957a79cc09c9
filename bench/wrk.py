"""Load with wrk (a C load generator, so the client is not the bottleneck) from a Lua script.

Every request gets its own `Idempotency-Key` (and whatever else the body template marks with
`@KEY@`: a unique young person per intake), unique across wrk's threads and across runs. The
script's `done()` prints one line of JSON with the counts and latency percentiles; CPU of the
server (and its worker processes) is read from /proc before and after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.common import cpu_seconds, load_average

_SCRIPT = r"""
local threads = {}
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] .. "x" .. tostring(tid)
end

request = function()
  counter = counter + 1
  local key = prefix .. "n" .. tostring(counter)
  local headers = {}
  for k, v in pairs(HEADERS) do headers[k] = v end
  headers["Idempotency-Key"] = key
  return wrk.format("POST", PATH, headers, (BODY:gsub("@KEY@", key)))
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here (ASCII)


@dataclass(frozen=True)
class WrkResult:
    label: str
    connections: int
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float | None
    load: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        cpu = f"{self.cpu_ms_per_request:6.2f} ms" if self.cpu_ms_per_request is not None else "     -   "
        return (
            f"{self.label:<44} c={self.connections:<3} {self.rps:8.1f} req/s  p50 {self.p50_ms:7.1f} ms  "
            f"p99 {self.p99_ms:7.1f} ms  CPU/req {cpu}  errors {self.errors}  (n={self.requests})"
        )


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    return path


def run_wrk(
    label: str,
    url: str,
    path: str,
    body_template: str,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 1,
    seconds: float = 5.0,
    threads: int = 1,
    server_pid: int | None = None,
) -> WrkResult:
    """POST `body_template` (with `@KEY@` made unique per request) to `url + path` for `seconds`."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    lua_headers = (
        "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in all_headers.items()) + "}"
    )
    script = (
        f"PATH = {_lua_string(path)}\nBODY = {_lua_string(body_template)}\nHEADERS = {lua_headers}\n"
        + _SCRIPT
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        cpu_before = cpu_seconds(server_pid) if server_pid else None
        result = subprocess.run(
            [
                require_wrk(),
                f"-t{min(threads, connections)}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                script_path,
                url,
                "--",
                uuid.uuid4().hex[:10],
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
        cpu_after = cpu_seconds(server_pid) if server_pid else None
    finally:
        Path(script_path).unlink(missing_ok=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("WRKJSON ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {result.stdout[-1000:]} {result.stderr[-1000:]}")
    data = json.loads(lines[-1].removeprefix("WRKJSON "))
    requests = data["requests"]
    cpu = None
    if cpu_before is not None and cpu_after is not None and requests:
        cpu = (cpu_after - cpu_before) * 1000 / requests
    return WrkResult(
        label=label,
        connections=connections,
        requests=requests,
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        cpu_ms_per_request=cpu,
        load=load_average(),
    )
