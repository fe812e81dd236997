"""Today at a glance from a real ledger: today's donations, backlog, sync, what needs the
operator."""

from __future__ import annotations

import datetime as dt

from kiosk.owner.today import glance, local_day_bounds

PARIS_WINTER = dt.timezone(dt.timedelta(hours=1))


def _set_created(ledger, donation_id: str, created_at: str) -> None:
    ledger.db.conn.execute("UPDATE donations SET created_at = ? WHERE id = ?",
                           (created_at, donation_id))


def test_day_bounds_are_local_midnights_in_utc():
    assert local_day_bounds(dt.date(2026, 11, 21), PARIS_WINTER) == (
        "2026-11-20T23:00:00.000Z", "2026-11-21T23:00:00.000Z")


def test_counts_only_todays_approved_donations(ledger):
    day = dt.date(2026, 11, 21)
    made = []
    for amount, state in ((500, "approved"), (200, "approved"), (1000, "declined"),
                          (300, "approved")):
        d = ledger.create_pending("proj-a", amount, "EUR")
        ledger.finish(d.id, state)
        made.append(d.id)
    _set_created(ledger, made[0], "2026-11-20T23:30:00.000Z")  # 00:30 local: today
    _set_created(ledger, made[1], "2026-11-21T12:00:00.000Z")
    _set_created(ledger, made[2], "2026-11-21T12:00:00.000Z")  # declined: not counted
    _set_created(ledger, made[3], "2026-11-20T22:59:59.000Z")  # 23:59 yesterday local
    g = glance(ledger, day, PARIS_WINTER)
    assert (g.today_count, g.today_cents) == (2, 700)
    assert (g.backlog_count, g.backlog_cents) == (4, 2000)  # every final unsynced row
    assert g.last_sync_at is None and g.sync_online is None and g.attention == []


def test_backlog_drops_when_synced_and_last_sync_is_local(ledger):
    d = ledger.create_pending("proj-a", 500, "EUR")
    ledger.finish(d.id, "approved")
    ledger.mark_synced([d.id])
    ledger.set_service_status("sync", {"online": True, "last_success_at":
                                       "2026-11-21T08:15:00.000Z", "last_error": None,
                                       "alarms": [], "backlog_count": 0})
    g = glance(ledger, dt.date(2026, 11, 21), PARIS_WINTER)
    assert (g.backlog_count, g.backlog_cents) == (0, 0)
    assert g.last_sync_at == dt.datetime(2026, 11, 21, 9, 15, tzinfo=PARIS_WINTER)
    assert g.sync_online is True


def test_what_needs_the_operator_in_plain_words(ledger):
    for state in ("unknown", "unknown", "approved"):
        d = ledger.create_pending("proj-a", 500, "EUR")
        ledger.finish(d.id, state)
    ledger.quarantine(d.id, "conflict")
    ledger.set_service_status("sync", {"online": False, "last_success_at": None,
                                       "last_error": "timeout",
                                       "alarms": ["The device token was revoked {sic}."],
                                       "backlog_count": 2})
    ledger.set_service_status("kiosk", {"terminal": {"connected": False, "last_error": "EIO"},
                                        "out_of_service": None})
    words = [m.render() for m in glance(ledger).attention]
    assert words == [
        "Donations with an unknown outcome: 2. The operator must check them against the "
        "bank's report.",
        "Donations refused by the server and kept aside for the operator: 1.",
        "The device token was revoked {sic}.",
        "The card terminal is not answering: check its cable and power.",
    ]
    assert glance(ledger).sync_online is False
