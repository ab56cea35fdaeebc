"""The demo city: districts, ~2,300 stations, ~40 branches, ~1,000 members, and each feature's
demo data. Kept apart from the domain packages; `flask demo seed` (cli.py) is its only caller."""
from demo.seed import ADMIN_PHONE, DEMO_PASSWORD, MEMBER_PHONE, SECRETARY_PHONE, seed_demo

__all__ = ["ADMIN_PHONE", "DEMO_PASSWORD", "MEMBER_PHONE", "SECRETARY_PHONE", "seed_demo"]
