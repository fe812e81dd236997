"""Restocking featured projects on a real ledger: limits, refusals, one transaction, preview."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk.core import audit
from kiosk.core import catalog as catalogmod
from kiosk.core.catalog import Catalog, Project
from kiosk.owner import featured
from kiosk.owner.featured import FeaturedDraft, FeaturedRefused

TODAY = dt.date(2026, 11, 21)


def _project(pid: str, *, active: bool = True, starts: str | None = None,
             ends: str | None = None) -> Project:
    return Project(id=pid, association=f"Asso {pid}", title=f"Title {pid}", summary="",
                   image_path=None, goal_cents=10_000, raised_cents=2_500, currency="EUR",
                   url=None, starts_on=starts, ends_on=ends, active=active)


CATALOG = Catalog("server", "v1", [
    _project("a"), _project("b"), _project("c"), _project("d"),
    _project("old", ends="2026-11-20"), _project("later", starts="2026-12-01"),
    _project("off", active=False),
])


def test_save_writes_order_bumps_version_and_audits_together(ledger):
    assert featured.save(ledger, CATALOG, ["c", "a"], limit=3, today=TODAY) == 1
    assert featured.current_choice(ledger) == ["c", "a"]
    assert featured.save(ledger, CATALOG, ["a", "b", "d"], limit=3, today=TODAY) == 2
    assert ledger.get_setting("featured_version") == 2
    rows = [r for r in audit.unsent(ledger) if r["action"] == "featured_changed"]
    assert [r["detail"] for r in rows] == [
        {"before": [], "after": ["c", "a"], "version": 1},
        {"before": ["c", "a"], "after": ["a", "b", "d"], "version": 2}]
    # the attract loop reads the same table, in the owner's order
    shown = catalogmod.featured(ledger.db, CATALOG, limit=3, today=TODAY)
    assert [p.id for p in shown] == ["a", "b", "d"]


@pytest.mark.parametrize(("ids", "words"), [
    ([], "at least one"),
    (["a", "b", "c", "d"], "At most 3"),
    (["a", "a"], "twice"),
    (["zzz"], "not in the catalog"),
    (["a", "old"], "ended on 2026-11-20"),
    (["later"], "starts on 2026-12-01"),
    (["off"], "no longer active"),
])
def test_refused_choices_change_nothing(ledger, ids, words):
    featured.save(ledger, CATALOG, ["b"], limit=3, today=TODAY)
    with pytest.raises(FeaturedRefused, match=words):
        featured.save(ledger, CATALOG, ids, limit=3, today=TODAY)
    assert featured.current_choice(ledger) == ["b"]
    assert ledger.get_setting("featured_version") == 1


def test_a_failed_write_rolls_back_version_and_audit(ledger):
    # A trigger makes the insert fail half-way through the transaction.
    ledger.db.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON featured WHEN"
                           " NEW.project_id = 'b' BEGIN SELECT RAISE(ABORT, 'disk I/O'); END")
    with pytest.raises(sqlite3.DatabaseError):
        featured.save(ledger, CATALOG, ["a", "b"], limit=3, today=TODAY)
    assert featured.current_choice(ledger) == []
    assert ledger.get_setting("featured_version") is None
    assert audit.unsent(ledger) == []


def test_draft_starts_from_what_the_loop_shows_and_drops_the_expired(ledger):
    fresh = FeaturedDraft.start(ledger, CATALOG, limit=3, today=TODAY)
    assert fresh.chosen == ["a", "b", "c"]  # never chosen: the first available ones
    ledger.db.conn.execute("INSERT INTO featured (position, project_id) VALUES (1, 'old'),"
                           " (2, 'd')")
    assert FeaturedDraft.start(ledger, CATALOG, limit=3, today=TODAY).chosen == ["d"]


def test_draft_toggle_move_preview_and_save(ledger):
    draft = FeaturedDraft(CATALOG, limit=3, today=TODAY)
    for pid in ("a", "b", "c"):
        draft.toggle(pid)
    assert draft.full
    with pytest.raises(FeaturedRefused, match="remove one first"):
        draft.toggle("d")
    with pytest.raises(FeaturedRefused, match="ended"):
        draft.toggle("old")
    draft.toggle("b")
    draft.toggle("d")
    draft.move("d", -5)
    assert [p.id for p in draft.preview()] == ["d", "a", "c"]
    draft.move("d", 1)
    assert draft.chosen == ["a", "d", "c"]
    entries = {e.project.id: e for e in draft.entries()}
    assert entries["d"].position == 2 and entries["b"].position is None
    assert str(entries["off"].unavailable) == "no longer active"
    assert entries["a"].progress == 0.25
    assert draft.changed_from(ledger)
    assert draft.save(ledger) == 1
    assert not draft.changed_from(ledger)


def test_refusal_messages_translate():
    with pytest.raises(FeaturedRefused) as info:
        featured.validate(CATALOG, ["a"] * 2 + ["b"], limit=2, today=TODAY)
    assert info.value.message.msgid == "At most {limit} projects can be featured on this kiosk."
    assert info.value.message.render(lambda s: s.replace("At most", "Au plus")).startswith(
        "Au plus 2")


def test_a_reason_inside_a_refusal_is_translated_too():
    french = {"« {title} » cannot be featured: {reason}.": "« {title} » refusé : {reason}.",
              "ended on {date}": "terminé le {date}"}
    with pytest.raises(FeaturedRefused) as info:
        featured.validate(CATALOG, ["old"], limit=2, today=TODAY)
    assert info.value.message.render(lambda s: french.get(s, s)) == \
        "« Title old » refusé : terminé le 2026-11-20."
