"""Prometheus metrics. Labels are route templates and codes, never ids or names."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("lantern_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "lantern_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WORKER_HEARTBEAT = Gauge(
    "lantern_worker_heartbeat_timestamp_seconds", "Last time a worker loop completed a pass"
)
JOBS_STUCK = Gauge("lantern_jobs_stuck", "Jobs past their run time with no live lease")
