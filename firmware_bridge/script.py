"""The simulator's script: what the simulated terminal does for each successive payment.

A step is written ``RESULT[:CARD_DELAY_S][+FAULT...]``, for example ``approve``,
``decline:0.5`` or ``approve+split+no_eot``; a script is steps separated by commas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESULTS = ("approve", "decline", "cancel", "input_timeout", "not_verified")
FAULTS = (
    "nak_first_frame",  # NAK the register's first request frame (the register resends)
    "corrupt_lrc",  # send the answer once with a wrong LRC (the register NAKs, we resend)
    "stray_byte",  # a stray byte on the line before the answer's ENQ
    "no_eot",  # omit the final EOT after the answer
    "split",  # write the answer one byte at a time
    "silence",  # never answer the next ENQ, a probe's or a payment's (link disabled)
    "recreate",  # approve, then close and re-create the device before answering
    "lose_answer",  # approve, then never send the answer
    "wrong_reference",  # answer with another reference in the private data / CF
    "endless_answer",  # approve, then never finish the answer: STX and an endless stream on a
    # serial line, one byte at a time just inside the byte timeout on TCP (a babbling line)
)


class ScriptError(ValueError):
    pass


@dataclass(frozen=True)
class ScriptStep:
    result: str = "approve"
    card_delay_s: float = 0.0
    faults: frozenset[str] = field(default_factory=frozenset)

    def has(self, fault: str) -> bool:
        return fault in self.faults


def parse_step(text: str) -> ScriptStep:
    head, *faults = text.strip().split("+")
    result, _, delay = head.partition(":")
    if result not in RESULTS:
        raise ScriptError(f"step {text!r}: result {result!r} is not one of {', '.join(RESULTS)}")
    try:
        card_delay = float(delay) if delay else 0.0
    except ValueError:
        raise ScriptError(f"step {text!r}: card delay {delay!r} is not a number") from None
    if card_delay < 0:
        raise ScriptError(f"step {text!r}: card delay must be >= 0")
    for f in faults:
        if f not in FAULTS:
            raise ScriptError(f"step {text!r}: fault {f!r} is not one of {', '.join(FAULTS)}")
    return ScriptStep(result, card_delay, frozenset(faults))


def parse_script(text: str) -> list[ScriptStep]:
    return [parse_step(s) for s in text.split(",") if s.strip()]


def format_step(step: ScriptStep) -> str:
    head = step.result + (f":{step.card_delay_s:g}" if step.card_delay_s else "")
    return "+".join([head, *sorted(step.faults)])
