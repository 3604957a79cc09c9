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

# Paging (api/paging, workers). Labels are channels, outcomes and job kinds only.
PAGE_FIRST_PUSH_SECONDS = Histogram(
    "lantern_page_first_push_accepted_seconds",
    "From the incident's commit (page start) to the first push accepted by a push service",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PAGE_ACK_SECONDS = Histogram(
    "lantern_page_acknowledged_seconds",
    "From the page's start to its acknowledgement",
    buckets=(10, 30, 60, 120, 300, 600, 900, 1800, 3600),
)
DELIVERIES = Counter("lantern_deliveries_total", "Delivery attempts", ["channel", "outcome"])
PUSH_AUTH_FAILURES = Counter(
    "lantern_push_auth_failures_total", "Push services refusing our VAPID credentials (401/403): an alarm"
)
PAGES_UNCOVERED = Counter("lantern_pages_uncovered_total", "Pages that exhausted every escalation level")
UNREACHABLE_ON_CALL = Counter(
    "lantern_on_call_unreachable_total", "Reachability checks at shift start where no device answered"
)
JOBS_RUN = Counter("lantern_jobs_total", "Jobs run by workers", ["kind", "result"])
