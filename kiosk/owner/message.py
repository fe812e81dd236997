"""Words for the owner that the screen translates: an English gettext message id plus values.

Domain code returns a :class:`Message`; the screen renders it with ``kiosk.core.i18n.tr`` in the
current language, so the plain-Python parts stay free of the UI's language state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = str) -> str:
        text = translate(self.msgid)
        if not self.params:
            return text
        # A message inside a message (a reason) is translated the same way.
        values = {k: v.render(translate) if isinstance(v, Message) else v
                  for k, v in self.params.items()}
        return text.format(**values)

    def __str__(self) -> str:
        return self.render()


def msg(msgid: str, **params: Any) -> Message:
    return Message(msgid, params)
