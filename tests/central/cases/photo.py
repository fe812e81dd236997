"""The project form's photo: re-encoded and resized server-side, the pixel count checked
from the header before any decode, EXIF dropped; any uploaded bytes end in a stored image or
a form error, never an exception."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from PIL import Image

from central.catalog.forms import ProjectForm
from central.catalog.models import Association, Project
from tests.helpers.image_bombs import png_bomb, png_header

MAX_SIDE = 1280


def photo(width: int, height: int, fmt: str = "JPEG", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, fmt, **save)
    return out.getvalue()


def with_exif(width: int, height: int, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x010E] = "donor phone 0600000000"  # ImageDescription
    return photo(width, height, exif=exif.tobytes())


def form(data: bytes, name: str = "photo.jpg", project_id: str = "p1") -> ProjectForm:
    association, _ = Association.objects.get_or_create(name="Les Amis du Quartier")
    fields = {"project_id": project_id, "association": association.pk, "title": "Jardin",
              "summary": "Un jardin partagé.", "goal_cents": 10000, "currency": "EUR",
              "active": "on"}
    return ProjectForm(data=fields, files={"photo": SimpleUploadedFile(name, data)})


def stored(project: Project) -> Image.Image:
    assert project.image is not None
    return Image.open(io.BytesIO(bytes(project.image.data)))


class PhotoFormTests(TestCase):
    def test_a_big_jpeg_is_resized_and_reencoded(self) -> None:
        f = form(photo(3000, 2000))
        self.assertTrue(f.is_valid(), f.errors)
        image = stored(f.save())
        self.assertEqual((image.format, image.size), ("JPEG", (MAX_SIDE, 853)))
        self.assertEqual(Project.objects.get().image.content_type, "image/jpeg")

    def test_exif_is_applied_then_dropped(self) -> None:
        f = form(with_exif(400, 200, orientation=6))  # 6: to be turned 90 degrees
        self.assertTrue(f.is_valid(), f.errors)
        image = stored(f.save())
        self.assertEqual(image.size, (200, 400))
        self.assertEqual(dict(image.getexif()), {})
        self.assertNotIn(b"SecretCam", bytes(Project.objects.get().image.data))

    def test_a_small_png_becomes_a_jpeg_of_the_same_size(self) -> None:
        f = form(photo(300, 200, "PNG"), "photo.png")
        self.assertTrue(f.is_valid(), f.errors)
        self.assertEqual(stored(f.save()).size, (300, 200))

    def test_pixel_bombs_are_refused_from_the_header(self) -> None:
        # 12000 x 12000 compresses to under 2 MB; 100000 x 100000 has no pixel data at all,
        # so a refusal that names its size was decided before any decode.
        for data, size in ((png_bomb(12000), "12000 x 12000"),
                           (png_header(100_000, 100_000), "")):
            f = form(data, "bomb.png")
            self.assertFalse(f.is_valid())
            self.assertIn("too many pixels", f.errors["photo"][0])
            self.assertIn(size, f.errors["photo"][0])
        self.assertFalse(Project.objects.exists())

    def test_a_non_image_and_other_formats_are_refused(self) -> None:
        gif = io.BytesIO()
        Image.new("RGB", (10, 10)).save(gif, "GIF")
        for data in (b"%PDF-1.7 not a photo", gif.getvalue(), b""):
            f = form(data, "x.pdf")
            self.assertFalse(f.is_valid())
            self.assertIn("photo", f.errors)
        self.assertFalse(Project.objects.exists())

    def test_a_file_over_the_byte_cap_is_refused_unread(self) -> None:
        with self.settings(CENTRAL_PHOTO_MAX_BYTES=1000):
            f = form(photo(600, 600))
            self.assertFalse(f.is_valid())
            self.assertEqual(f.errors["photo"], ["the file is too large"])


def _mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.lists(st.tuples(st.integers(0, len(seed) - 1), st.integers(0, 255)),
                    max_size=8).map(lambda edits: _apply(seed, edits))


def _apply(seed: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(seed)
    for at, value in edits:
        out[at] = value
    return bytes(out)


SEEDS = [photo(40, 30), photo(40, 30, "PNG"), with_exif(30, 20, 3)]
UPLOADS = st.one_of(st.binary(max_size=2048), *[_mutated(s) for s in SEEDS],
                    st.sampled_from(SEEDS).flatmap(
                        lambda s: st.integers(0, len(s)).map(lambda n: s[:n])))


class WebAddressTests(TestCase):
    def test_an_address_typed_without_its_scheme_is_https(self) -> None:
        for built in (lambda data: ProjectForm(data=data),
                      lambda data: _admin_form()(data=data)):
            typed = built({"url": "example.org/jardin"})
            typed.is_valid()
            self.assertEqual(typed.cleaned_data["url"], "https://example.org/jardin")


def _admin_form() -> type:
    """The form the Django admin builds for a project (its own fields, not the form's)."""
    from django.contrib.admin.sites import site
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True)
    return site._registry[Project].get_form(request)


class PhotoFuzzTests(HypothesisTestCase):
    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(UPLOADS)
    def test_any_upload_is_a_stored_jpeg_or_a_form_error(self, data: bytes) -> None:
        f = form(data)
        if f.is_valid():
            image = stored(f.save())
            self.assertEqual(image.format, "JPEG")
            self.assertLessEqual(max(image.size), MAX_SIDE)
            image.load()
        else:
            self.assertIn("photo", f.errors)
            self.assertFalse(Project.objects.exists())
