"""The outcome screen for every result but approval: one plain sentence on whether money was
taken and what to do. Layout in outcome.kv."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.donation_flow import Outcome
from kiosk.donor_messages import OUTCOME_MESSAGES
from kiosk.ui.widgets import KioskScreen


class OutcomeScreen(KioskScreen):
    message = ObjectProperty(OUTCOME_MESSAGES[Outcome.TERMINAL_ERROR])


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
