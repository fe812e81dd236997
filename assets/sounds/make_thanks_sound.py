"""Synthesise the thank-you chime (assets/sounds/thanks.wav): two soft bell tones, 0.5 s.

    python assets/sounds/make_thanks_sound.py

Made here from sine waves with a decaying envelope, so the project ships no third-party media.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
NOTES = [(880.0, 0.0), (1318.5, 0.12)]  # A5 then E6: a rising fifth, friendly and short
LENGTH_S = 0.5
VOLUME = 0.35


def samples() -> list[int]:
    out = []
    for i in range(int(RATE * LENGTH_S)):
        t = i / RATE
        value = 0.0
        for freq, start in NOTES:
            if t >= start:
                local = t - start
                envelope = math.exp(-local * 9) * min(1.0, local * 200)  # click-free attack
                value += math.sin(2 * math.pi * freq * local) * envelope
                value += 0.3 * math.sin(4 * math.pi * freq * local) * envelope  # overtone
        out.append(int(max(-1.0, min(1.0, value * VOLUME)) * 32767))
    return out


def write(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", s) for s in samples()))
    return path


if __name__ == "__main__":
    print(write(Path(__file__).with_name("thanks.wav")))
