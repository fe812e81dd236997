"""A slide transition drawn from two pictures of the slides instead of the slides themselves.

Kivy's SlideTransition moves both screens on every frame, so every frame submits every
instruction of both (photo, words, rounded rectangles, progress bar, band): with software GL
that was most of the attract loop's CPU. Here each slide is drawn once into an Fbo (drawn
again only when something in it changes, as Kivy's Fbo does) and each frame draws one quad
whose fragment shader shows the two pictures side by side, shifted as SlideTransition shifts
the screens (the same direction names, the same out_quad easing).
"""

from __future__ import annotations

from typing import Any

from kivy.animation import AnimationTransition
from kivy.graphics import (
    BindTexture,
    ClearBuffers,
    ClearColor,
    Fbo,
    PopMatrix,
    PushMatrix,
    Rectangle,
    RenderContext,
    Translate,
)
from kivy.properties import OptionProperty, StringProperty
from kivy.uix.screenmanager import Screen, ShaderTransition

# A pixel at c (0..1 along the axis the slides move on) shows the outgoing slide or the
# incoming one, read where that slide's own pixel is once shifted by t. ``from_high`` is 1
# when the incoming slide enters from the high side (direction left or down), else 0.
# Opaque output: the pictures were cleared to the window's colour, their text edges already
# blended over it.
SLIDE_FS = """$HEADER$
uniform float t;
uniform sampler2D tex_in;
uniform sampler2D tex_out;
uniform vec2 axis;
uniform float from_high;

void main(void) {
    float c = dot(tex_coord0, axis);
    vec3 colour;
    if (from_high > 0.5) {
        colour = c < 1.0 - t ? texture2D(tex_out, tex_coord0 + axis * t).rgb
                             : texture2D(tex_in, tex_coord0 - axis * (1.0 - t)).rgb;
    } else {
        colour = c < t ? texture2D(tex_in, tex_coord0 + axis * (1.0 - t)).rgb
                       : texture2D(tex_out, tex_coord0 - axis * t).rgb;
    }
    gl_FragColor = vec4(colour, 1.0);
}
"""

# direction: (axis, from_high)
_GEOMETRY = {"left": ((1.0, 0.0), 1.0), "right": ((1.0, 0.0), 0.0),
             "down": ((0.0, 1.0), 1.0), "up": ((0.0, 1.0), 0.0)}


class _SlidePicture:
    """One Fbo a slide is drawn into, kept and reused from one transition to the next."""

    def __init__(self, fbo: Fbo) -> None:
        self.fbo = fbo
        self.shift = fbo.before.children[-1]  # the Translate make_screen_fbo put there
        self.canvas: Any = None

    def hold(self, screen: Screen) -> None:
        self.shift.xy = (-screen.x, -screen.y)
        self.canvas = screen.canvas
        self.fbo.add(screen.canvas)

    def release(self) -> None:
        """Let go of the slide's canvas (before the slide goes back into the widget tree:
        removing it afterwards would cut it off from the manager's canvas)."""
        if self.canvas is not None:
            self.fbo.remove(self.canvas)
            self.canvas = None


class SlideShaderTransition(ShaderTransition):
    """SlideTransition's look, one textured quad per frame. One instance serves every slide of
    a ScreenManager: its two Fbos and its shader are made once (again only if the manager's
    size changes), not at each transition. ``clearcolor`` must be the colour behind the
    slides (the window's), or their pictures would show another background."""

    direction = OptionProperty("left", options=tuple(_GEOMETRY))
    fs = StringProperty(SLIDE_FS)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pictures: tuple[_SlidePicture, _SlidePicture] | None = None
        self.render_ctx: RenderContext | None = None

    def make_screen_fbo(self, screen: Screen) -> Fbo:
        # No stencil buffer: nothing on a slide clips with Kivy's stencil (photos and QR codes
        # are drawn by Picture, one rectangle at the fitted size).
        fbo = Fbo(size=screen.size, with_stencilbuffer=False)
        with fbo:
            ClearColor(*self.clearcolor)
            ClearBuffers()
        with fbo.before:
            PushMatrix()
            Translate(-screen.x, -screen.y, 0)
        with fbo.after:
            PopMatrix()
        return fbo

    def _prepare(self, screen: Screen) -> tuple[_SlidePicture, _SlidePicture]:
        size = tuple(int(v) for v in screen.size)
        if self._pictures is None or tuple(self._pictures[0].fbo.size) != size:
            self._pictures = (_SlidePicture(self.make_screen_fbo(screen)),
                              _SlidePicture(self.make_screen_fbo(screen)))
            self.render_ctx = RenderContext(fs=self.fs, use_parent_modelview=True,
                                            use_parent_projection=True)
            with self.render_ctx:
                BindTexture(texture=self._pictures[1].fbo.texture, index=1)
                BindTexture(texture=self._pictures[0].fbo.texture, index=2)
                self._quad = Rectangle(size=size,
                                       tex_coords=self._pictures[0].fbo.texture.tex_coords)
            self.render_ctx["tex_out"] = 1
            self.render_ctx["tex_in"] = 2
        return self._pictures

    def add_screen(self, screen: Screen) -> None:
        manager, screen_in, screen_out = self.manager, self.screen_in, self.screen_out
        screen_in.pos, screen_in.size = screen_out.pos, screen_out.size
        picture_in, picture_out = self._prepare(screen_out)
        manager.real_remove_widget(screen_out)
        picture_in.hold(screen_in)
        picture_out.hold(screen_out)
        axis, from_high = _GEOMETRY[self.direction]
        self.render_ctx["axis"] = axis
        self.render_ctx["from_high"] = from_high
        self.render_ctx["t"] = 0.0
        self._quad.pos = screen_in.pos
        manager.canvas.add(picture_in.fbo)
        manager.canvas.add(picture_out.fbo)
        manager.canvas.add(self.render_ctx)

    def remove_screen(self, screen: Screen) -> None:
        manager = self.manager
        for picture in self._pictures or ():
            manager.canvas.remove(picture.fbo)
            picture.release()
        manager.canvas.remove(self.render_ctx)
        manager.real_add_widget(self.screen_in)

    def on_progress(self, progress: float) -> None:
        self.render_ctx["t"] = AnimationTransition.out_quad(progress)

    def on_complete(self) -> None:
        self.render_ctx["t"] = 1.0
        self.remove_screen(self.screen_out)
        self.screen_in.pos = self.manager.pos

    def stop(self) -> None:
        # ShaderTransition.stop would look for the outgoing canvas in the manager's, where
        # this transition never puts it.
        super(ShaderTransition, self).stop()
