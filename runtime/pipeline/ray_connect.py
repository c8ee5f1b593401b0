"""Joining Ray in bounded time, and without Ray's own log lines (needs ``pip install 'zedo[ray]'``).

``ray.init`` retries an address it cannot reach for minutes, and Ray's C++ parts (the core worker,
the GCS client, the raylet) write their warnings straight to the process's stderr. So
``init_ray`` first checks that a gRPC server answers at the address (``reach``: at most
``timeout`` seconds, ``RAY_TIMEOUT`` by default), then starts or joins Ray with its Python
logging at ERROR, the workers' output kept off the driver, and the C++ log level at ``fatal``
(``RAY_BACKEND_LOG_LEVEL``, read by every Ray process as it starts; a value the environment sets
already is kept), stderr muted while ``ray.init`` runs. Failures are one ``RuntimeError`` line
naming the address.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from contextlib import contextmanager

import ray
import ray.data

from ..core.config import check_float

RAY_TIMEOUT = 30.0  # seconds to reach a Ray cluster
QUIET = {"RAY_BACKEND_LOG_LEVEL": "fatal"}  # Ray's C++ log lines off (the README says so)
# HTTP/2's client preface and an empty SETTINGS frame (RFC 9113, 3.4 and 6.5): a gRPC server
# answers with its own SETTINGS frame (a 9-byte header whose fourth byte, the type, is 4).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
SETTINGS = 4


def host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of "HOST:PORT" or "ray://HOST:PORT"; None for "auto" (Ray finds it itself).
    ValueError naming the address where the port is not a number in [1, 65535]."""
    if address == "auto":
        return None
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit() or not 1 <= int(port) <= 65535 or not host:
        raise ValueError(f"Ray address {address!r}: expected HOST:PORT with a port in 1-65535, ray://HOST:PORT or auto")
    return host.strip("[]"), int(port)


def reach(address: str, timeout: float = RAY_TIMEOUT) -> None:
    """Check within ``timeout`` seconds that a Ray cluster answers at ``address``: a TCP connection,
    and an HTTP/2 SETTINGS frame in reply to HTTP/2's preface (Ray's GCS and client servers speak
    gRPC; ``ray.init`` waits for minutes on a port that accepts and says nothing). RuntimeError
    naming the address otherwise."""
    where = host_port(address)
    if where is None:
        return
    try:
        with socket.create_connection(where, timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(HTTP2_PREFACE)
            reply = s.recv(9, socket.MSG_WAITALL)
    except OSError as e:
        why = f"no answer within {timeout:g} s" if isinstance(e, TimeoutError) else (e.strerror or type(e).__name__)
        raise RuntimeError(f"cannot reach the Ray cluster at {address}: {why.lower()}") from None
    if len(reply) < 9 or reply[3] != SETTINGS:
        raise RuntimeError(f"cannot reach the Ray cluster at {address}: something answers there, but not Ray (no gRPC)")


@contextmanager
def muted_stderr():
    """File descriptor 2 sent to /dev/null for the block (C++ writes to it directly), then restored."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def init_ray(address: str | None = None, timeout: float = RAY_TIMEOUT) -> None:
    """Start a local Ray (``address`` None) or join the cluster at ``address`` quietly (see the
    module docstring); RuntimeError naming the address where it cannot be reached or joined."""
    check_float("timeout", timeout, 0.1, 86400)
    if address:
        reach(address, timeout)
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    local = {} if address else {"include_dashboard": False}
    try:
        with muted_stderr():
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, **local)
    except (ConnectionError, TimeoutError, RuntimeError) as e:
        # Ray's first sentence says what is wrong; the rest advises its own command line's flags.
        why = " ".join(str(e).split()).split(". ")[0].rstrip(".")
        raise RuntimeError(f"cannot join the Ray cluster at {address or 'this machine'}: {why}") from None


def connect(address: str | None = None, timeout: float = RAY_TIMEOUT) -> bool:
    """Join the Ray cluster at ``address`` ("auto", "HOST:PORT", "ray://HOST:PORT"), or start a
    local Ray on this machine when None (``init_ray``); nothing when Ray is initialised already.
    Returns whether it connected (so the caller shuts down what it started). Ray Data's own progress
    bars and log lines are turned off (zedo shows its own progress)."""
    started = not ray.is_initialized()
    if started:
        init_ray(address, timeout)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # its errors reach zedo as exceptions
    return started
