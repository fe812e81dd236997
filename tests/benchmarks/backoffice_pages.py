"""The back office's pages with 1 000 devices and 1 000 000 donations in PostgreSQL: each page
over real HTTP (production settings, gunicorn, 127.0.0.1) as each role that may open it,
median and p95 in ms, against the sign-in page (a trivial view: the cost of a request
through the same stack) measured in the same run, interleaved. Goal: every page under 300 ms
at p95.

The fixture is not the application: the small rows (associations, projects, shops, people,
a settlement file) are made through the ORM and the services, the large ones (devices, their
latest state, 30 days of hourly roll-ups, a day of heartbeats, the donations: a year, spread
over the devices, 1 % unknown) by ``INSERT … SELECT … FROM generate_series`` on a throwaway
cluster, then the daily and monthly roll-ups rebuilt from them.
``BACKOFFICE_BENCH_DONATIONS`` (default 1000000), ``BACKOFFICE_BENCH_DEVICES`` (1000) and
``BACKOFFICE_BENCH_REQUESTS`` (20 per page and role) set the size."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

from tests.benchmarks._table import median, p95, print_table
from tests.benchmarks.central_ingest import HEADERS, Service
from tests.central.postgres import Cluster

DONATIONS = int(os.environ.get("BACKOFFICE_BENCH_DONATIONS", "1000000"))
DEVICES = int(os.environ.get("BACKOFFICE_BENCH_DEVICES", "1000"))
REQUESTS = int(os.environ.get("BACKOFFICE_BENCH_REQUESTS", "20"))
SHOPS, ASSOCIATIONS, PROJECTS = 200, 20, 100
GOAL_MS = 300

SMALL_ROWS = """
import json, sys, datetime as dt, django
django.setup()
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from central.accounts.models import Membership
from central.catalog.models import Association, Project, Shop, ShopProject
shops_n, assoc_n, projects_n = (int(a) for a in sys.argv[1:4])
towns = ["Marseille", "Aix-en-Provence", "Toulon", "Nice", "Avignon"]
associations = Association.objects.bulk_create(
    [Association(name=f"Association {n:03d}") for n in range(assoc_n)])
projects = Project.objects.bulk_create(
    [Project(project_id=f"p{n:03d}", association=associations[n % assoc_n],
             title=f"Projet {n:03d}", summary="s") for n in range(projects_n)])
shops = Shop.objects.bulk_create(
    [Shop(name=f"Commerce {n:03d}", town=towns[n % len(towns)]) for n in range(shops_n)])
ShopProject.objects.bulk_create([ShopProject(shop=s, project=projects[(n * 7 + k) % projects_n])
                                 for n, s in enumerate(shops) for k in range(5)])
people = {"netadmin": {"role": Membership.NETWORK_ADMIN},
          "operator": {"role": Membership.OPERATOR},
          "association": {"role": Membership.ASSOCIATION, "association": associations[0]},
          "shop": {"role": Membership.SHOP, "shop": shops[0]}}
sessions = {}
for name, membership in people.items():
    user = User.objects.create_user(name, password="pw")
    Membership.objects.create(user=user, **membership)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    sessions[name] = session.session_key
print(json.dumps({"sessions": sessions, "shop": shops[0].pk,
                  "association": associations[0].pk}))
"""

# The donations were inserted behind the ingest's back: the daily and monthly roll-ups are
# rebuilt from them as the migrations that added them do.
DAYS = """
import json, django
django.setup()
from central.donations import daily
days, months = daily.rebuild()
print(json.dumps({"day_rows": days, "month_rows": months}))
"""

SETTLEMENT = """
import json, sys, django
django.setup()
from django.contrib.auth.models import User
from django.db import connection
from central.reconciliation import services
from central.donations.models import Donation
day = Donation.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
rows = Donation.objects.filter(created_at__date=day.date(), state__in=["approved", "unknown"])
lines = ["date,terminal_reference,amount,currency,auth_code"] + [
    f"{day.date()},{d.donation_id.hex[:10]},{d.amount_cents // 100}.{d.amount_cents % 100:02d},"
    f"EUR,A{n:05d}" for n, d in enumerate(rows[:2000])]
made = services.import_file(User.objects.get(username="operator"), "day.csv",
                            ("\\n".join(lines) + "\\n").encode())
print(json.dumps({"file": made.pk, "lines": len(lines) - 1}))
"""

# Devices spread over the shops; the latest state of each (some with problems); 30 days of
# hourly roll-ups; the last day of heartbeats; then the donations.
LARGE_ROWS = [
    """INSERT INTO devices_device (device_id, shop_id, token_sha256, enrolled_at,
           featured_project_ids, created_at)
       SELECT 'kiosk-' || lpad(i::text, 5, '0'),
              (SELECT min(id) FROM catalog_shop) + (i % %(shops)s),
              md5(i::text) || md5((i + 1)::text), now() - interval '400 days', '[]', now()
       FROM generate_series(1, %(devices)s) AS i""",
    """INSERT INTO devices_devicestate (device_id, received_at, version, backlog_count,
           backlog_cents, unknown_count, quarantined_count, disk_free_bytes,
           clock_synchronized, last_error, body, backlog_since)
       SELECT id, now() - ((id % 7) * interval '1 minute') - (CASE WHEN id % 50 = 0
                  THEN interval '2 hours' ELSE interval '0' END),
              '1.4.0', id % 3, (id % 3) * 500, CASE WHEN id % 40 = 0 THEN 1 ELSE 0 END, 0,
              CASE WHEN id % 60 = 0 THEN 100 * 1048576 ELSE 4000 * 1048576::bigint END,
              true, NULL,
              json_build_object('oldest_unsynced_seq', CASE WHEN id % 3 > 0 THEN 7 END,
                                'terminal', json_build_object('connected', true)),
              CASE WHEN id % 3 > 0 THEN now() - (id % 48) * interval '1 hour' END
       FROM devices_device""",
    """INSERT INTO devices_heartbeatrollup (device_id, hour, count, max_backlog_count,
           max_backlog_cents, min_disk_free_bytes, errors)
       SELECT d.id, date_trunc('hour', now()) - h * interval '1 hour', 12, (d.id + h) % 5,
              ((d.id + h) % 5) * 500, 4000 * 1048576::bigint - h * 1048576, 0
       FROM devices_device d, generate_series(0, 30 * 24 - 1) AS h""",
    """INSERT INTO devices_heartbeat (device_id, received_at, body)
       SELECT d.id, now() - h * interval '5 minutes',
              json_build_object('oldest_unsynced_seq', CASE WHEN d.id % 3 > 0 THEN 7 END)
       FROM devices_device d, generate_series(0, 287) AS h""",
    """INSERT INTO donations_donation (device_id, donation_id, seq, boot_id, project_ref,
           project_id, amount_cents, currency, state, created_at, finished_at, auth_code,
           card_suffix, reason, content, received_at)
       SELECT dev.id, md5('donation' || i)::uuid, i, 'boot-1', p.project_id, p.id,
              100 * (1 + i % 50), 'EUR',
              CASE WHEN i % 100 = 0 THEN 'unknown' WHEN i % 10 = 0 THEN 'declined'
                   ELSE 'approved' END,
              t, t + interval '30 seconds', CASE WHEN i % 10 <> 0 THEN 'A1B2C3' END,
              CASE WHEN i % 10 <> 0 THEN '4242' END, NULL,
              json_build_object('id', md5('donation' || i)::uuid, 'created_at', t,
                                'finished_at', t + interval '30 seconds',
                                'terminal', json_build_object())::text,
              t + interval '1 minute'
       FROM generate_series(1, %(donations)s) AS i
       CROSS JOIN LATERAL (SELECT now() - (i::float / %(donations)s) * interval '365 days'
                           AS t) AS w
       JOIN devices_device dev
         ON dev.device_id = 'kiosk-' || lpad((1 + i %% %(devices)s)::text, 5, '0')
       JOIN catalog_project p ON p.project_id = 'p' || lpad((i %% %(projects)s)::text, 3, '0')""",
    "ANALYZE",
]


def _django(service: Service, script: str, *argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *argv], env=service.env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"fixture script failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pages(ids: dict) -> list[tuple[str, str, list[str]]]:
    shop, association, file = ids["shop"], ids["association"], ids["file"]
    month = time.strftime("%Y-%m")
    return [
        ("fleet", "/backoffice/fleet/", ["netadmin", "operator"]),
        ("fleet, problems", "/backoffice/fleet/?problem=any", ["operator"]),
        ("fleet, town", "/backoffice/fleet/?town=Marseille", ["operator"]),
        ("a device", "/backoffice/fleet/kiosk-00042/", ["netadmin", "operator"]),
        ("donations by project", "/backoffice/money/", ["netadmin", "association", "shop"]),
        ("donations by kiosk, by day", "/backoffice/money/?by=device&period=day",
         ["netadmin"]),
        ("donations by shop, a year", "/backoffice/money/?by=shop&period=month&start="
         f"{time.strftime('%Y')}-01-01", ["netadmin"]),
        ("an association", f"/backoffice/money/associations/{association}/",
         ["netadmin", "association"]),
        ("a shop", f"/backoffice/shops/{shop}/", ["netadmin", "shop"]),
        ("a shop's month", f"/backoffice/shops/{shop}/print/{month}/", ["shop"]),
        ("reconciliation", "/backoffice/reconciliation/", ["netadmin", "operator"]),
        ("a settlement file", f"/backoffice/reconciliation/files/{file}/", ["operator"]),
    ]


def _get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    r = session.get(url, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
    return elapsed


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="backoffice-bench-"))
    cluster = Cluster(root / "pg")
    service = None
    try:
        cluster.start()
        url = cluster.create_database("backoffice")
        service = Service(url, root)
        started = time.perf_counter()
        ids = _django(service, SMALL_ROWS, str(SHOPS), str(ASSOCIATIONS), str(PROJECTS))
        with psycopg.connect(url, autocommit=True) as conn:
            for sql in LARGE_ROWS:
                conn.execute(sql.replace("%(shops)s", str(SHOPS))
                             .replace("%(devices)s", str(DEVICES))
                             .replace("%(donations)s", str(DONATIONS))
                             .replace("%(projects)s", str(PROJECTS)).replace("%%", "%"))
        ids.update(_django(service, DAYS))
        with psycopg.connect(url, autocommit=True) as conn:
            # As autovacuum would have by the time anyone reads the pages: the planner's
            # statistics of the rebuilt roll-ups.
            conn.execute("ANALYZE donations_donationday, donations_donationmonth")
        ids.update(_django(service, SETTLEMENT))
        print(f"filled {DEVICES} devices, {DONATIONS} donations ({ids['day_rows']} daily, "
              f"{ids['month_rows']} monthly roll-up rows), a settlement file of "
              f"{ids['lines']} lines in {time.perf_counter() - started:.0f} s")
        sessions = {}
        for name, key in ids["sessions"].items():
            s = requests.Session()
            s.trust_env = False
            # Production cookies are Secure (TLS ends at nginx): sent by hand over 127.0.0.1.
            s.headers.update({**HEADERS, "Cookie": f"sessionid={key}"})
            sessions[name] = s
        anonymous = requests.Session()
        anonymous.trust_env = False
        anonymous.headers.update(HEADERS)
        baseline: list[float] = []
        rows = []
        for label, path, roles in _pages(ids):
            for role in roles:
                _get(sessions[role], service.url + path)  # warm-up
                times = []
                for _ in range(REQUESTS):
                    times.append(_get(sessions[role], service.url + path))
                    baseline.append(_get(anonymous, service.url + "/backoffice/sign-in/"))
                rows.append([label, role, median(times), p95(times), p95(times)])
        base = p95(baseline)
        print_table(["page", "role", "median ms", "p95 ms", "p95 / sign-in p95",
                     f"<= {GOAL_MS} ms"],
                    [[label, role, med, p, p / base, "yes" if p <= GOAL_MS else "NO"]
                     for label, role, med, p, _ in rows]
                    + [["sign-in (baseline)", "anonymous", median(baseline), base, 1.0,
                        "yes" if base <= GOAL_MS else "NO"]])
    finally:
        if service is not None:
            service.stop()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
