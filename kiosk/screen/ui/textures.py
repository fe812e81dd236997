"""Pixels decoded off the UI thread (:mod:`kiosk.screen.ui.pictures`) turned into textures.

The one place a texture is made from decoded pixels: the attract loop's photos and QR codes,
the owner's thumbnails and preview, and the receipt QR all come through here. UI thread only
(OpenGL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.graphics.texture import Texture

if TYPE_CHECKING:
    from kiosk.screen.ui.pictures import Pixels


def texture_from(pixels: Pixels) -> Texture:
    texture = Texture.create(size=(pixels.width, pixels.height), colorfmt="rgb")
    texture.blit_buffer(pixels.data, colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()  # Pillow's rows run top-down, OpenGL's bottom-up
    return texture
