"""Concert (Caisse-AP) framing: control bytes, the LRC, and the protocol's own errors."""

from __future__ import annotations

from functools import reduce

ENQ, ACK, NAK, STX, ETX, EOT = 0x05, 0x06, 0x15, 0x02, 0x03, 0x04

# ISO 4217 numeric codes of the currencies the bridge accepts.
CURRENCY_CODES = {"EUR": "978", "CHF": "756", "GBP": "826", "USD": "840"}
CURRENCY_BY_CODE = {v: k for k, v in CURRENCY_CODES.items()}

MAX_BODY = 1024  # no Concert message is longer; a longer body is a broken link, not a message


class ProtocolError(Exception):
    """Bytes that are not a valid Concert message (the only error the decoders raise)."""


def lrc(data: bytes) -> int:
    """XOR of every byte given (the body and ETX: everything after STX)."""
    return reduce(lambda a, b: a ^ b, data, 0)


def frame(body: bytes) -> bytes:
    """STX + body + ETX + LRC. The LRC may equal any control byte."""
    if any(b < 0x20 or b > 0x7E for b in body):
        raise ProtocolError("a Concert body is printable ASCII only")
    tail = body + bytes([ETX])
    return bytes([STX]) + tail + bytes([lrc(tail)])


def unframe(data: bytes) -> bytes:
    """The body of a complete frame; checks STX, ETX and the LRC by position."""
    if len(data) < 3 or data[0] != STX or data[-2] != ETX:
        raise ProtocolError(f"not a frame: {data[:16]!r}")
    body = data[1:-2]
    if lrc(data[1:-1]) != data[-1]:
        raise ProtocolError(f"bad LRC 0x{data[-1]:02x}, expected 0x{lrc(data[1:-1]):02x}")
    if any(b < 0x20 or b > 0x7E for b in body):
        raise ProtocolError("a Concert body is printable ASCII only")
    return body
