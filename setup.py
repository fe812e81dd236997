"""Package layout only (metadata is in setup.cfg): the top-level ``assets/`` folder is
installed as the ``kiosk.assets`` package, which ``find:`` in setup.cfg cannot express."""

from setuptools import find_packages, setup

PACKAGES = find_packages(include=["kiosk", "kiosk.*", "firmware_bridge", "firmware_bridge.*",
                                  "central", "central.*", "central_api", "central_api.*"])

setup(packages=[*PACKAGES, "kiosk.assets"], package_dir={"kiosk.assets": "assets"})
