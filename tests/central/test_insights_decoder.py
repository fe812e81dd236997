"""The central decoder of the engagement counts a heartbeat carries, property-tested: it
raises only ``Invalid`` (naming the field), and whatever it accepts the device contract's
schema accepts too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from central.common.decode import Invalid
from central.insights.counters import COUNTERS
from central.insights.validation import MAX_COUNT, engagement_rows
from kiosk.core.funnel import Counter, hour_of
from tests.sync.openapi_check import document

SCHEMA = document()["components"]["schemas"]["EngagementCount"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=20)
hours = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                     timezones=st.just(dt.UTC)).map(hour_of)
good_rows = st.fixed_dictionaries({
    "hour": hours, "project_id": st.text(min_size=1, max_size=128),
    "counter": st.sampled_from(COUNTERS), "count": st.integers(0, MAX_COUNT)})
# Rows that are nearly right: one field replaced by anything, one dropped or one added.
near_rows = good_rows.flatmap(lambda row: st.one_of(
    st.sampled_from(sorted(row)).flatmap(lambda k: json_values.map(lambda v: {**row, k: v})),
    st.sampled_from(sorted(row)).map(lambda k: {n: v for n, v in row.items() if n != k}),
    json_values.map(lambda v: {**row, "card": v})))


@settings(max_examples=300)
@given(st.one_of(json_values, st.lists(st.one_of(good_rows, near_rows, json_values),
                                       max_size=6)))
def test_the_decoder_raises_only_invalid_and_agrees_with_the_contract(value) -> None:
    try:
        decoded = engagement_rows(value)
    except Invalid as e:
        assert str(e).startswith("engagement")  # names the field
        return
    validator = Draft202012Validator(SCHEMA)
    for row, out in zip(value, decoded, strict=True):
        assert not list(validator.iter_errors(row)), row
        assert out["hour"].tzinfo is dt.UTC and hour_of(out["hour"]) == row["hour"]
        assert (out["project_id"], out["counter"], out["count"]) == (
            row["project_id"], row["counter"], row["count"])


@given(st.lists(good_rows, min_size=1, max_size=20))
def test_well_formed_rows_are_decoded_unless_a_key_repeats(rows) -> None:
    keys = [(r["hour"], r["project_id"], r["counter"]) for r in rows]
    if len(set(keys)) < len(keys):
        with pytest.raises(Invalid, match="twice"):
            engagement_rows(rows)
    else:
        assert len(engagement_rows(rows)) == len(rows)


@pytest.mark.parametrize(("rows", "field"), [
    ([{"hour": "2026-03-14T10:30:00Z", "project_id": "p", "counter": "slide_shown",
       "count": 1}], "engagement[0].hour"),
    ([{"hour": "2026-02-30T10:00:00Z", "project_id": "p", "counter": "slide_shown",
       "count": 1}], "engagement[0].hour"),
    ([{"hour": "2026-03-14T10:00:00Z", "project_id": "p", "counter": "card_seen",
       "count": 1}], "engagement[0].counter"),
    ([{"hour": "2026-03-14T10:00:00Z", "project_id": "p", "counter": "slide_shown",
       "count": True}], "engagement[0].count"),
    ([{"hour": "2026-03-14T10:00:00Z", "project_id": "", "counter": "slide_shown",
       "count": 1}], "engagement[0].project_id"),
    ([{"hour": "2026-03-14T10:00:00Z", "project_id": "p", "counter": "slide_shown",
       "count": 1, "amount_cents": 500}], "engagement[0]"),
    ([{}] * 501, "engagement"),
])
def test_malformed_rows_name_their_field(rows, field) -> None:
    with pytest.raises(Invalid, match="^" + re.escape(field)):
        engagement_rows(rows)


def test_kiosk_service_and_contract_know_the_same_counters() -> None:
    assert tuple(c.value for c in Counter) == COUNTERS == tuple(SCHEMA["properties"]["counter"]
                                                                ["enum"])
