"""A lean async HTTP/1.1 load generator: closed loop at a fixed concurrency, open loop at a fixed rate.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) over asyncio streams. An httpx client was
tried first and spent ~1 ms of CPU per request: on two cores it saturated its own core at ~800 req/s, so the
bare endpoint's figure was the generator's, not the server's. Requests are pre-built, and the open loop
times each request from the moment it was *scheduled*, not sent: when the server falls behind, the waiting
shows up in the latency instead of silently lowering the rate.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

_TIMEOUT_SECONDS = 10.0
_ACCEPTED = b'"status":"accepted"'


@dataclass(frozen=True)
class PreparedRequest:
    """One POST to replay: exact body bytes and headers (lowercase names)."""

    body: bytes
    headers: dict[str, str]


@dataclass
class LoadResult:
    """What one load phase measured."""

    elapsed_seconds: float
    latencies_seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted_ids: list[str] = field(default_factory=list)
    transport_errors: int = 0
    generator_cpu_seconds: float = 0.0

    @property
    def completed(self) -> int:
        """Requests that got any HTTP answer."""
        return sum(self.statuses.values())

    def requests_per_second(self) -> float:
        """Answered requests per wall-clock second of the phase."""
        return self.completed / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def percentile_ms(self, percent: int) -> float:
        """The latency percentile (1..99) in milliseconds, inclusive method."""
        if len(self.latencies_seconds) < 2:
            return 1000 * (self.latencies_seconds[0] if self.latencies_seconds else 0.0)
        cuts = statistics.quantiles(self.latencies_seconds, n=100, method="inclusive")
        return 1000 * cuts[percent - 1]

    def summary(self) -> dict[str, Any]:
        """The phase's figures as JSON-ready values."""
        elapsed = self.elapsed_seconds
        return {
            "requests": self.completed,
            "elapsed_seconds": round(elapsed, 3),
            "requests_per_second": round(self.requests_per_second(), 1),
            "p50_ms": round(self.percentile_ms(50), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
            "max_ms": round(1000 * max(self.latencies_seconds, default=0.0), 2),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "transport_errors": self.transport_errors,
            # Near 1.0 means the generator, not the server, set the pace.
            "generator_cpu_share": round(self.generator_cpu_seconds / elapsed, 3) if elapsed > 0 else 0.0,
        }


class _Connection:
    """One keep-alive connection that sends a request and reads its Content-Length response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, raw_request: bytes) -> tuple[int, bytes]:
        self.writer.write(raw_request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        length = 0
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return int(status_line.split(b" ", 2)[1]), body

    def close(self) -> None:
        self.writer.close()


class _Target:
    """Encodes requests for one URL and keeps a pool of idle connections to it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self.idle: list[_Connection] = []

    def encode(self, request: PreparedRequest) -> bytes:
        lines = [f"POST {self.path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        lines.append(f"content-length: {len(request.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body

    async def send(self, request: PreparedRequest, raw: bytes, since: float, result: LoadResult) -> None:
        """Send on an idle connection (or a new one) and record the answer; a broken one is dropped."""
        connection = self.idle.pop() if self.idle else await _Connection.open(self.host, self.port)
        try:
            status, body = await asyncio.wait_for(connection.exchange(raw), _TIMEOUT_SECONDS)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            connection.close()
            result.transport_errors += 1
            return
        self.idle.append(connection)
        result.latencies_seconds.append(time.perf_counter() - since)
        result.statuses[status] += 1
        if status == 200 and _ACCEPTED in body:
            result.accepted_ids.append(request.headers.get("x-shopify-webhook-id", ""))

    def close(self) -> None:
        for connection in self.idle:
            connection.close()


async def closed_loop(url: str, requests: Sequence[PreparedRequest], concurrency: int) -> LoadResult:
    """Send every request with `concurrency` requests in flight at all times; returns the measurements."""
    target, result = _Target(url), LoadResult(elapsed_seconds=0.0)
    encoded = [(request, target.encode(request)) for request in requests]
    pending = iter(encoded)

    async def worker() -> None:
        for request, raw in pending:
            await target.send(request, raw, time.perf_counter(), result)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_seconds = time.perf_counter() - started
    result.generator_cpu_seconds = time.process_time() - cpu
    target.close()
    return result


async def open_loop(url: str, requests: Sequence[PreparedRequest], rate: float) -> LoadResult:
    """Start request i at `i / rate` seconds, whatever the answers; latency counts from that schedule."""
    target, result = _Target(url), LoadResult(elapsed_seconds=0.0)
    encoded = [(request, target.encode(request)) for request in requests]
    started, cpu = time.perf_counter(), time.process_time()
    tasks = []
    for index, (request, raw) in enumerate(encoded):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(target.send(request, raw, scheduled, result)))
    await asyncio.gather(*tasks)
    result.elapsed_seconds = time.perf_counter() - started
    result.generator_cpu_seconds = time.process_time() - cpu
    target.close()
    return result
