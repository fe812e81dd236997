"""Simulated kiosks, in a process of their own so that their CPU and GIL do not count as the
server's latency: ``python -m tests.benchmarks._central_kiosks`` reads a JSON job on stdin
(url, devices [[id, token], ...], rounds, period_s, seed) and writes one JSON line of results
(latencies in seconds per route, errors as "route: what"). Each kiosk is a thread with its own
keep-alive session; it starts at a random point of the first period, then sends a heartbeat
and a batch of 1-10 donations once per period (jittered), as kiosk-sync does every few
minutes, time compressed. Loopback only; every request has a timeout."""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from typing import Any

import requests

from tests.central.helpers import donation, heartbeat

HEADERS = {"X-Forwarded-Proto": "https"}  # as nginx sets it (production redirects http)


def run(job: dict[str, Any]) -> dict[str, Any]:
    url, rounds, period = job["url"], job["rounds"], job["period_s"]
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    lat: dict[str, list[float]] = {"heartbeat": [], "batch": []}
    errors: list[str] = []
    lock = threading.Lock()

    def kiosk(device: str, token: str) -> None:
        rng = random.Random(f"{job['seed']}-{device}")
        with requests.Session() as s:
            s.trust_env = False
            s.headers.update({**HEADERS, "Authorization": f"Bearer {token}"})
            seq = 0
            next_at = time.monotonic() + rng.uniform(0, period)
            for _ in range(rounds):
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += period * rng.uniform(0.8, 1.2)
                items = [donation(seq + n + 1) for n in range(rng.randint(1, 10))]
                seq += len(items)
                for kind, path, body in (
                        ("heartbeat", "heartbeat", heartbeat()),
                        ("batch", "donations:batch", {"donations": items})):
                    t0 = time.perf_counter()
                    try:
                        r = s.post(f"{url}/v1/devices/{device}/{path}", json=body, timeout=30)
                        what = None if r.status_code == 200 else f"HTTP {r.status_code}"
                    except requests.RequestException as e:
                        what = f"{type(e).__name__}: {str(e)[:120]}"
                    with lock:
                        lat[kind].append(time.perf_counter() - t0)
                        if what:
                            errors.append(f"{kind}: {what}")

    threads = [threading.Thread(target=kiosk, args=tuple(d), daemon=True)
               for d in job["devices"]]
    for t in threads:
        t.start()
    deadline = time.monotonic() + period * (rounds + 2) + 60
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        errors.append(f"kiosks: {stuck} still running at the deadline")
    return {"latency": lat, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
