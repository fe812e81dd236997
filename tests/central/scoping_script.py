"""Run by test_scoping.py in a process with the test settings and a migrated database: the
role selectors checked object by object. Exits non-zero (AssertionError) on any leak."""

from __future__ import annotations

import uuid

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402

from central.accounts import selectors  # noqa: E402
from central.accounts.models import Membership  # noqa: E402
from central.catalog.models import Association, Project, Shop, ShopProject  # noqa: E402
from central.devices.models import Device  # noqa: E402
from central.donations.models import Donation  # noqa: E402


def donation(device: Device, project: Project) -> Donation:
    return Donation.objects.create(
        device=device, donation_id=uuid.uuid4(), seq=Donation.objects.count() + 1,
        boot_id="b", project_ref=project.project_id, project=project, amount_cents=100,
        currency="EUR", state="approved", created_at="2026-11-20T10:00:00Z",
        finished_at="2026-11-20T10:00:00Z", content="{}")


a1, a2 = Association.objects.create(name="A1"), Association.objects.create(name="A2")
p1 = Project.objects.create(project_id="p1", association=a1, title="P1", summary="s")
p2 = Project.objects.create(project_id="p2", association=a2, title="P2", summary="s")
s1, s2 = Shop.objects.create(name="S1"), Shop.objects.create(name="S2")
ShopProject.objects.create(shop=s1, project=p1)
ShopProject.objects.create(shop=s2, project=p2)
d1 = Device.objects.create(device_id="k1", shop=s1)
d2 = Device.objects.create(device_id="k2", shop=s2)
# A donation on shop 1's kiosk to association 2's project: seen by both of those, only.
x11, x12, x22 = donation(d1, p1), donation(d1, p2), donation(d2, p2)


def user(name: str, role: str, **scope: object) -> User:
    u = User.objects.create_user(name, password="x", is_staff=True)
    Membership.objects.create(user=u, role=role, **scope)
    return u


admin = user("admin", Membership.NETWORK_ADMIN)
assoc1 = user("assoc1", Membership.ASSOCIATION, association=a1)
assoc2 = user("assoc2", Membership.ASSOCIATION, association=a2)
shop1 = user("shop1", Membership.SHOP, shop=s1)
operator = user("operator", Membership.OPERATOR)
nobody = User.objects.create_user("nobody", password="x")

expected = {
    admin: ({a1, a2}, {p1, p2}, {s1, s2}, {d1, d2}, {x11, x12, x22}),
    assoc1: ({a1}, {p1}, set(), set(), {x11}),
    assoc2: ({a2}, {p2}, set(), set(), {x12, x22}),
    shop1: (set(), {p1}, {s1}, {d1}, {x11, x12}),
    operator: (set(), set(), {s1, s2}, {d1, d2}, set()),
    nobody: (set(), set(), set(), set(), set()),
}
for who, (assocs, projects, shops, devices, donations) in expected.items():
    got = (set(selectors.associations(who)), set(selectors.projects(who)),
           set(selectors.shops(who)), set(selectors.devices(who)),
           set(selectors.donations(who)))
    assert got == (assocs, projects, shops, devices, donations), (who.username, got)
print("scoping ok")
