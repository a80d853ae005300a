"""Running a fleet's instances in worker processes, so that one instance's CPU never waits
for another's (issue 16).

A plan is mostly waiting on the network, but each request also costs the client some CPU
(httpx's layers, decoding, the plan itself): about 2 s for an instance of 5,000 users. Five
such instances in one Python process queue behind one core, and the fleet took 1.5-2x as long
as its slowest instance planned alone. Worker processes let the operating system spread that
CPU over every core while each instance still has its own client, token and rate limit.

How: on Linux, the configurations are loaded and checked first (offline, so a broken
manifest stops the run before any instance is read), then ``fork`` starts a worker per
instance (at most MAX_WORKERS; past that each runs several), each inheriting the loaded
configurations and running its share of the instances concurrently in its own event loop.
Each worker sends back what the report needs (the plan, drift entries or doctor report,
warnings, error and exit code): never the client or the live context, which stay in the
worker.

``fork`` is used only where it is safe and cheap: on Linux, from a process with no other
thread (a forked thread-holding process can deadlock). Elsewhere, or with one instance, or
when ``DOMOGOV_FLEET_WORKERS=1``, every instance runs in this process as before: same
results, only slower on many cores.

Apply stays in one process: it asks once for the whole fleet between planning and applying,
and each instance's live context (which holds its client) must survive from plan to apply.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from domogov.fleet.members import Member, run_each

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

#: What a worker sends back for each of its instances (everything the reports read).
RESULT_FIELDS = ("plan", "drift", "doctor", "warnings", "error", "exit_code")
#: Worker processes at most, by default: each holds its instances' live state, as one process
#: would, plus a few tens of MB of its own.
MAX_WORKERS = 16
#: Exit code of a worker stopped by Ctrl-C (128 + SIGINT), as a shell reports it.
_INTERRUPTED = 130


def worker_count(instances: int) -> int:
    """How many worker processes a run of ``instances`` uses (1: none, run in this process).

    One per instance, at most MAX_WORKERS; ``DOMOGOV_FLEET_WORKERS=N`` sets another cap (1
    turns workers off). More workers than cores is fine: a worker mostly waits on the network,
    and one per instance lets the system share the cores fairly (at five instances on two
    cores, two workers of two and three instances left the fleet 1.1-1.3x its slowest single
    plan, one each 1.1-1.2x).
    """
    if instances < 2 or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    cap = os.environ.get("DOMOGOV_FLEET_WORKERS", "").strip()
    limit = int(cap) if cap.isdigit() and int(cap) > 0 else MAX_WORKERS
    return max(1, min(instances, limit))


def run_members(
    items: list[Member], work: Callable[[Member], Awaitable[None]], workers: int | None = None
) -> None:
    """Run ``work`` for every member, at once, in ``workers`` processes (default: see
    worker_count); each member ends up holding its results as if run in this process."""
    from domogov import runner

    count = worker_count(len(items)) if workers is None else min(workers, len(items))
    if count <= 1:
        runner.run(run_each(items, work))
        return
    shares = [items[i::count] for i in range(count)]  # round robin: similar loads together
    context = get_context("fork")
    started: list[tuple[BaseProcess, Connection, list[Member]]] = []
    # A SIGTERM (a cancelled CI job) must stop the workers too, not orphan them: turned into
    # SystemExit here, it runs the ``finally`` below.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        for share in shares:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker,
                args=(share, work, send),
                name="domogov-fleet-" + ",".join(m.name for m in share),
                daemon=True,
            )
            process.start()
            send.close()  # the worker holds the only writing end: EOF when it dies
            started.append((process, receive, share))
        _collect(started)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for worker, receive, _ in started:
            if worker.is_alive():  # interrupted, or a worker that never answered
                worker.terminate()
            worker.join()
            receive.close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _collect(started: list[tuple[BaseProcess, Connection, list[Member]]]) -> None:
    """Read each worker's results as it finishes; a worker that died fails its members."""
    pending = {receive: (process, share) for process, receive, share in started}
    while pending:
        for ready in wait(list(pending)):
            assert isinstance(ready, Connection)
            process, share = pending.pop(ready)
            try:
                results = [pickle.loads(one) for one in pickle.loads(ready.recv_bytes())]
            except (EOFError, OSError):
                process.join()
                for member in share:
                    member.fail(
                        RuntimeError(
                            f"the worker process for {member.name} ended without a result "
                            f"(exit code {process.exitcode})"
                        )
                    )
                continue
            for member, result in zip(share, results, strict=True):
                for name in RESULT_FIELDS:
                    setattr(member, name, result[name])


def _worker(
    share: list[Member], work: Callable[[Member], Awaitable[None]], send: Connection
) -> None:
    """In the worker: run this share of the fleet, send back its results, exit."""
    from domogov import runner

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not for workers
    try:
        runner.run(run_each(share, work))
        send.send_bytes(_results(share))
    except KeyboardInterrupt:
        # Ctrl-C reaches every process of the terminal's group: the parent reports it once.
        sys.exit(_INTERRUPTED)
    finally:
        send.close()


def _results(share: list[Member]) -> bytes:
    """The members' results, each pickled on its own before anything is sent: a result that
    cannot cross to the parent becomes that member's error, never a half-written pipe."""
    out: list[bytes] = []
    for member in share:
        try:
            out.append(pickle.dumps({name: getattr(member, name) for name in RESULT_FIELDS}))
        except Exception as exc:
            error = (
                "internal error: its result could not be sent back from the worker process "
                f"({type(exc).__name__}: {exc})"
            )
            failed = {name: None for name in RESULT_FIELDS}
            out.append(pickle.dumps({**failed, "warnings": [], "error": error, "exit_code": 1}))
    return pickle.dumps(out)
