"""Demo data for the 15-minute service circle: nothing to add on top of the demo city's stations.

Location consent is personal: no demo account gets it by default (the demo member gives it on the
consent screen, as a real member would). Seeding builds and checks the station index, so that a
demo with stations that cannot be ranked fails here rather than on a phone.
"""
from sqlmodel import Session

from models.db import unscoped
from services import stations


def seed(session: Session, *, rng) -> str:
    """Idempotent; returns a one-line summary."""
    with unscoped(session):
        stations.invalidate_index(session)
        index = stations.station_index(session, ttl=0)
    if index.size == 0:
        return "geo: no stations to index yet"
    probe = index.nearest(22.5431, 114.0579, limit=5)  # 福田 市民中心
    return f"geo: {index.size} stations indexed; nearest to 市民中心 {round(probe[0][1])} m away; consent for nobody"
