"""The back office for staff users who are not superusers: each role's group lets them in,
and every list, change page and choice is scoped to their own objects. Django's test client
against the real admin views."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.test import TestCase

from central.accounts.models import Membership
from central.accounts.roles import ROLE_GROUPS
from central.backoffice.models import StaffAction
from central.catalog.models import Association, Project, Shop, ShopProject
from central.devices.models import Device
from central.donations.models import Donation

ADMIN = "/backoffice/"


def donation(device: Device, project: Project, seq: int) -> Donation:
    return Donation.objects.create(
        device=device, donation_id=uuid.uuid4(), seq=seq, boot_id="b",
        project_ref=project.project_id, project=project, amount_cents=100, currency="EUR",
        state="approved", created_at="2026-11-20T10:00:00Z",
        finished_at="2026-11-20T10:00:00Z", content="{}")


def staff(name: str, role: str, **scope: object) -> User:
    user = User.objects.create_user(name, password="pw", is_staff=True)
    Membership.objects.create(user=user, role=role, **scope)
    return user


class BackofficeRoleTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.a1, cls.a2 = (Association.objects.create(name="A1"),
                          Association.objects.create(name="A2"))
        cls.p1 = Project.objects.create(project_id="p1", association=cls.a1, title="Jardin A1",
                                        summary="s")
        cls.p2 = Project.objects.create(project_id="p2", association=cls.a2, title="Ecole A2",
                                        summary="s")
        cls.s1, cls.s2 = Shop.objects.create(name="S1"), Shop.objects.create(name="S2")
        ShopProject.objects.create(shop=cls.s1, project=cls.p1)
        ShopProject.objects.create(shop=cls.s2, project=cls.p2)
        cls.d1 = Device.objects.create(device_id="k1", shop=cls.s1)
        cls.d2 = Device.objects.create(device_id="k2", shop=cls.s2)
        # On shop 1's kiosk to association 2's project: seen by shop 1 and association 2.
        cls.x11, cls.x12 = donation(cls.d1, cls.p1, 1), donation(cls.d1, cls.p2, 2)
        cls.x22 = donation(cls.d2, cls.p2, 3)
        cls.admin = staff("netadmin", Membership.NETWORK_ADMIN)
        cls.assoc1 = staff("assoc1", Membership.ASSOCIATION, association=cls.a1)
        cls.assoc2 = staff("assoc2", Membership.ASSOCIATION, association=cls.a2)
        cls.shop1 = staff("shop1", Membership.SHOP, shop=cls.s1)
        cls.operator = staff("operator", Membership.OPERATOR)
        cls.nobody = User.objects.create_user("nobody", password="pw", is_staff=True)

    def listed(self, user: User, model: str) -> set:
        self.client.force_login(user)
        page = self.client.get(f"{ADMIN}{model}/")
        self.assertEqual(page.status_code, 200, f"{user} {model}")
        return set(page.context["cl"].queryset)

    def status(self, user: User, url: str) -> int:
        self.client.force_login(user)
        return self.client.get(url).status_code

    def test_a_membership_puts_its_user_in_the_role_group(self) -> None:
        for user, role in ((self.admin, "network_admin"), (self.assoc1, "association"),
                           (self.shop1, "shop"), (self.operator, "operator")):
            self.assertEqual({g.name for g in user.groups.all()}, {ROLE_GROUPS[role]})
        Membership.objects.filter(user=self.shop1).delete()
        self.assertFalse(self.shop1.groups.exists())
        self.assertEqual(self.status(self.shop1, f"{ADMIN}devices/device/"), 403)

    def test_login_with_a_password_reaches_the_index(self) -> None:
        self.assertTrue(self.client.login(username="assoc1", password="pw"))
        index = self.client.get(ADMIN)
        self.assertEqual(index.status_code, 200)
        apps = {m["object_name"] for a in index.context["app_list"] for m in a["models"]}
        # Claim: the tax-receipt claims for its projects (central.claims).
        self.assertEqual(apps, {"Association", "Project", "Donation", "Claim", "Ask", "Pledge",
                                "Sponsor"})

    def test_association_sees_only_its_own(self) -> None:
        self.assertEqual(self.listed(self.assoc1, "catalog/project"), {self.p1})
        self.assertEqual(self.listed(self.assoc1, "donations/donation"), {self.x11})
        self.assertEqual(self.listed(self.assoc2, "donations/donation"), {self.x12, self.x22})
        self.assertEqual(self.listed(self.assoc1, "catalog/association"), {self.a1})
        for page in ("devices/device/", "catalog/shop/", "accounts/membership/",
                     "catalog/image/"):
            self.assertEqual(self.status(self.assoc1, ADMIN + page), 403, page)

    def test_association_cannot_open_or_edit_another_ones_project_by_url(self) -> None:
        url = f"{ADMIN}catalog/project/{self.p2.pk}/change/"
        self.client.force_login(self.assoc1)
        self.assertRedirects(self.client.get(url), ADMIN)
        posted = self.client.post(url, {"project_id": "p2", "association": self.a1.pk,
                                        "title": "taken over", "summary": "s",
                                        "goal_cents": 1, "currency": "EUR"})
        self.assertRedirects(posted, ADMIN)
        self.p2.refresh_from_db()
        self.assertEqual((self.p2.title, self.p2.association), ("Ecole A2", self.a2))
        self.assertEqual(self.client.post(
            f"{ADMIN}catalog/project/{self.p2.pk}/delete/", {"post": "yes"}).status_code, 403)
        self.assertTrue(Project.objects.filter(pk=self.p2.pk).exists())

    def test_association_edits_its_own_and_files_new_ones_only_under_itself(self) -> None:
        self.client.force_login(self.assoc1)
        form = {"project_id": "p1", "association": self.a1.pk, "title": "Jardin (2)",
                "summary": "s", "goal_cents": 5, "currency": "EUR"}
        done = self.client.post(f"{ADMIN}catalog/project/{self.p1.pk}/change/", form)
        self.assertRedirects(done, f"{ADMIN}catalog/project/")
        self.p1.refresh_from_db()
        self.assertEqual(self.p1.title, "Jardin (2)")
        refused = self.client.post(f"{ADMIN}catalog/project/add/",
                                   {**form, "project_id": "p9", "association": self.a2.pk})
        self.assertEqual(refused.status_code, 200)
        self.assertIn("association", refused.context["adminform"].form.errors)
        self.assertFalse(Project.objects.filter(project_id="p9").exists())

    def test_creating_and_editing_a_project_is_recorded_and_shown_on_its_page(self) -> None:
        self.client.force_login(self.assoc1)
        form = {"project_id": "p7", "association": self.a1.pk, "title": "Verger",
                "summary": "s", "goal_cents": 5, "currency": "EUR"}
        self.client.post(f"{ADMIN}catalog/project/add/", form)
        made = Project.objects.get(project_id="p7")
        done = self.client.post(f"{ADMIN}catalog/project/{made.pk}/change/",
                                {**form, "title": "Verger (2)", "goal_cents": 9})
        self.assertRedirects(done, f"{ADMIN}catalog/project/")
        rows = [(a.username, a.action, a.detail) for a in
                StaffAction.objects.filter(project=made).order_by("pk")]
        self.assertEqual(rows[0][:2], ("assoc1", StaffAction.CREATE_PROJECT))
        self.assertEqual(rows[1], ("assoc1", StaffAction.EDIT_PROJECT,
                                   {"project_id": "p7", "fields": ["goal_cents", "title"]}))
        page = self.client.get(f"{ADMIN}catalog/project/{made.pk}/change/")
        self.assertContains(page, "assoc1 — edit a project (goal_cents, title)")
        self.assertContains(page, "assoc1 — create a project")
        # A refused edit (another association's project) records nothing.
        self.client.post(f"{ADMIN}catalog/project/{self.p2.pk}/change/",
                         {**form, "project_id": "p2", "title": "taken over"})
        self.assertFalse(StaffAction.objects.filter(project=self.p2).exists())

    def test_creating_and_editing_a_shop_and_its_listings_is_recorded(self) -> None:
        self.client.force_login(self.admin)
        none = {"listings-TOTAL_FORMS": "0", "listings-INITIAL_FORMS": "0"}
        self.client.post(f"{ADMIN}catalog/shop/add/", {"name": "S3", **none})
        made = Shop.objects.get(name="S3")
        done = self.client.post(f"{ADMIN}catalog/shop/{made.pk}/change/", {
            "name": "S3", "town": "Nice", "listings-TOTAL_FORMS": "1",
            "listings-INITIAL_FORMS": "0", "listings-0-project": self.p1.pk,
            "listings-0-position": "1"})
        self.assertRedirects(done, f"{ADMIN}catalog/shop/")
        rows = [(a.username, a.action, a.detail) for a in
                StaffAction.objects.filter(shop=made).order_by("pk")]
        self.assertEqual(rows, [
            ("netadmin", StaffAction.CREATE_SHOP, {"shop": "S3", "fields": ["name"]}),
            ("netadmin", StaffAction.EDIT_SHOP, {"shop": "S3",
                                                 "fields": ["listings", "town"]})])
        page = self.client.get(f"{ADMIN}catalog/shop/{made.pk}/change/")
        self.assertContains(page, "netadmin — edit a shop (listings, town)")
        # A shop owner's refused edit (another shop) records nothing.
        self.client.force_login(self.shop1)
        self.client.post(f"{ADMIN}catalog/shop/{self.s2.pk}/change/", {"name": "x", **none})
        self.assertFalse(StaffAction.objects.filter(shop=self.s2).exists())

    def test_shop_sees_only_its_own_kiosks_and_listings(self) -> None:
        self.assertEqual(self.listed(self.shop1, "devices/device"), {self.d1})
        self.assertEqual(self.listed(self.shop1, "catalog/shop"), {self.s1})
        self.assertEqual(self.listed(self.shop1, "catalog/project"), {self.p1})
        self.assertEqual(self.listed(self.shop1, "donations/donation"), {self.x11, self.x12})
        self.client.force_login(self.shop1)
        self.assertRedirects(self.client.get(f"{ADMIN}devices/device/{self.d2.pk}/change/"),
                             ADMIN)
        self.assertRedirects(self.client.get(f"{ADMIN}catalog/shop/{self.s2.pk}/change/"),
                             ADMIN)
        self.assertEqual(self.status(self.shop1, f"{ADMIN}catalog/project/add/"), 403)

    def test_operator_sees_the_fleet_and_no_money(self) -> None:
        self.assertEqual(self.listed(self.operator, "devices/device"), {self.d1, self.d2})
        self.assertEqual(self.listed(self.operator, "catalog/shop"), {self.s1, self.s2})
        for page in ("donations/donation/", "catalog/project/", "accounts/membership/"):
            self.assertEqual(self.status(self.operator, ADMIN + page), 403, page)

    def test_network_admin_sees_everything_and_donations_stay_read_only(self) -> None:
        self.assertEqual(self.listed(self.admin, "catalog/project"), {self.p1, self.p2})
        self.assertEqual(self.listed(self.admin, "donations/donation"),
                         {self.x11, self.x12, self.x22})
        self.assertEqual(self.listed(self.admin, "devices/device"), {self.d1, self.d2})
        self.assertEqual(self.status(self.admin, f"{ADMIN}accounts/membership/"), 200)
        self.assertEqual(self.status(self.admin, f"{ADMIN}donations/donation/add/"), 403)
        self.client.force_login(self.admin)
        self.client.post(f"{ADMIN}donations/donation/{self.x11.pk}/delete/", {"post": "yes"})
        self.assertTrue(Donation.objects.filter(pk=self.x11.pk).exists())

    def test_staff_without_a_membership_gets_nothing(self) -> None:
        for page in ("catalog/project/", "devices/device/", "donations/donation/"):
            self.assertEqual(self.status(self.nobody, ADMIN + page), 403, page)
