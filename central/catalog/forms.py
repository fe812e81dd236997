"""The project form of the back office, with a photo re-encoded and resized server-side."""

from __future__ import annotations

import io
import struct
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps

from central.catalog.models import Project
from central.catalog.services import store_image

# What the form takes: JPEG and PNG only, so no other decoder ever sees uploaded bytes.
PHOTO_FORMATS = ("JPEG", "PNG")
# Decoders fail on damaged files in more ways than OSError (truncated tables, bad sizes...).
DECODE_ERRORS = (OSError, ValueError, EOFError, SyntaxError, IndexError, TypeError,
                 struct.error, ZeroDivisionError)


def _too_many_pixels(detail: str = "") -> forms.ValidationError:
    cap = settings.CENTRAL_PHOTO_MAX_PIXELS
    return forms.ValidationError(f"the photo has too many pixels{detail}; at most {cap:,}")


def reencode_photo(data: bytes) -> bytes:
    """A JPEG of at most CENTRAL_PHOTO_MAX_SIDE pixels a side, from a JPEG or PNG; the pixel
    count is checked from the header before anything is decoded."""
    try:
        with PILImage.open(io.BytesIO(data), formats=PHOTO_FORMATS) as probe:
            width, height = probe.size
    except PILImage.DecompressionBombError:  # Pillow's own, far higher cap
        raise _too_many_pixels() from None
    except DECODE_ERRORS:
        raise forms.ValidationError("this file is not a JPEG or PNG image") from None
    if width * height > settings.CENTRAL_PHOTO_MAX_PIXELS:
        raise _too_many_pixels(f" ({width} x {height})")
    try:
        with PILImage.open(io.BytesIO(data), formats=PHOTO_FORMATS) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            side = settings.CENTRAL_PHOTO_MAX_SIDE
            img.thumbnail((side, side))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85, optimize=True)
    except (PILImage.DecompressionBombError, *DECODE_ERRORS):
        raise forms.ValidationError("this image cannot be read") from None
    return out.getvalue()


def https_by_default(field: models.Field, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A form field's arguments, with a web address typed without its scheme taken as https
    (Django 6's default; Django 5.2 warns that it still assumes http)."""
    return {**kwargs, "assume_scheme": "https"} if isinstance(field, models.URLField) \
        else kwargs


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    return field.formfield(**https_by_default(field, kwargs))


class ProjectForm(forms.ModelForm):
    photo = forms.FileField(label=_("Photo"), required=False,
                            help_text=_("JPEG or PNG; stored re-encoded"))

    class Meta:
        model = Project
        exclude = ["image", "raised_cents", "supporters"]
        formfield_callback = _formfield

    def clean_photo(self) -> bytes | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        if upload.size > settings.CENTRAL_PHOTO_MAX_BYTES:
            raise forms.ValidationError("the file is too large")
        return reencode_photo(upload.read())

    def save(self, commit: bool = True) -> Project:
        project = super().save(commit=False)
        if self.cleaned_data.get("photo"):
            project.image = store_image(self.cleaned_data["photo"], "image/jpeg")
        if commit:
            project.save()
        return project
