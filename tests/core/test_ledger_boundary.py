"""The ledger is the one place that runs SQL on the kiosk's database; the screen starts
without sqlite-utils."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kiosk

KIOSK = Path(kiosk.__file__).parent
# The ledger package, the connection and the migrations: the only modules allowed SQL.
ALLOWED = ("core/ledger/", "core/db.py", "core/schema.py")
SQL_CALLS = {"execute", "executemany", "executescript", "immediate"}


def _sql_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{path}:{node.lineno}: .conn")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in SQL_CALLS:
                found.append(f"{path}:{node.lineno}: {name}(")
    return found


def test_no_module_outside_the_ledger_runs_sql():
    offenders = []
    for path in sorted(KIOSK.rglob("*.py")):
        if not path.relative_to(KIOSK).as_posix().startswith(ALLOWED):
            offenders += _sql_uses(path)
    assert offenders == [], "SQL outside kiosk/core/ledger/, db.py and schema.py:\n" + \
        "\n".join(offenders)


def test_the_check_sees_sql(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f(ledger):\n"
                      "    ledger.db.conn.execute('SELECT 1')\n"
                      "    with immediate(ledger.db):\n"
                      "        pass\n")
    assert sorted(u.split(": ")[1] for u in _sql_uses(sample)) == [".conn", "execute(",
                                                                   "immediate("]


def test_the_screen_reads_an_up_to_date_ledger_without_sqlite_utils(tmp_path):
    # sqlite-utils costs ~50 ms to import: only migrations, exports and `db check` load it.
    from kiosk.core.ledger import Ledger, Limits

    Ledger.open(tmp_path / "kiosk.db", Limits(5000, 100_000, 0)).close()
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kiosk.core.ledger import Ledger, Limits\n"
        "from kiosk.screen import startup\n"
        f"d = Path({str(tmp_path)!r})\n"
        "ledger = Ledger.open(d / 'kiosk.db', Limits(5000, 100_000, 0))\n"
        "startup.load_projects(ledger, d, 3)\n"
        "ledger.create_pending('p', 100, 'EUR')\n"
        "print(sorted(m for m in sys.modules if m.startswith('sqlite_utils')))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"
