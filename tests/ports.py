"""Loopback ports for the servers tests start in subprocesses, safe when tests run in parallel.

Binding port 0 and closing the socket at once (the usual "free port") leaves a window in which
another test process, such as another pytest-xdist worker, is handed the same port. A
`ReservedPort` keeps the port bound (with SO_REUSEADDR, never listening) for as long as the test
holds it: the kernel gives it to no other `bind(port 0)` and to no outgoing connection, while
`lantern serve` (uvicorn listens with SO_REUSEADDR) can still take it, and take it again after a
restart.
"""

from __future__ import annotations

import socket


class ReservedPort:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]

    def release(self) -> None:
        self._socket.close()

    def __enter__(self) -> ReservedPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
