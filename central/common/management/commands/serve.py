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
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--timeout", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [sys.executable, "-m", "gunicorn", "central.wsgi:application",
                "--bind", options["bind"], "--workers", str(options["workers"]),
                # gthread: keep-alive connections, and a slow client holds one thread only.
                "--worker-class", "gthread", "--threads", str(options["threads"]),
                "--timeout", str(options["timeout"]), "--graceful-timeout", "10",
                "--access-logfile", "-", "--no-control-socket"]
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # gunicorn becomes this process: signals reach it
