"""``central serve --bind HOST:PORT``: run the service under gunicorn (stateless processes;
as many as the machine has cores to spare, behind nginx)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the central service with gunicorn."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT (port 0: any)")
        # One process per core: a request is mostly Python (the GIL), so more processes
        # than cores only queue for CPU; threads cover the waits on the database.
        parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=30)
        # Longer than nginx keeps an idle upstream connection (60 s): if gunicorn closed it
        # first, a POST nginx sends on it at that moment fails (nginx does not retry it).
        # Idle connections wait in gthread's poller and hold no thread.
        parser.add_argument("--keep-alive", type=int, default=75)
        parser.add_argument("--pid", help="write gunicorn's master process id to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [sys.executable, "-m", "gunicorn", "central.wsgi:application",
                "--bind", options["bind"], "--workers", str(options["workers"]),
                # gthread: keep-alive connections, and a slow client holds one thread only.
                "--worker-class", "gthread", "--threads", str(options["threads"]),
                "--timeout", str(options["timeout"]), "--graceful-timeout", "10",
                "--keep-alive", str(options["keep_alive"]),
                "--access-logfile", "-", "--no-control-socket"]
        if options["pid"]:
            argv += ["--pid", options["pid"]]
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # gunicorn becomes this process: signals reach it
