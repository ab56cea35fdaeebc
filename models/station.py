"""Service stations (党群服务中心 and 站点) and the districts they sit in."""
import secrets
from datetime import datetime
from enum import Enum
from typing import Optional

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class District(SQLModel, table=True):
    """A district (区) of the city, or a functional area such as 大鹏新区."""

    __tablename__ = "district"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=40)
    name_en: str = Field(max_length=60)
    sort: int = 0


class StationKind(str, Enum):
    """党群服务中心, 党群服务站 (站点), or another kind of place."""

    center = "center"
    station = "station"
    other = "other"


class Station(SQLModel, table=True):
    """A service station; coordinates are always WGS-84."""

    __tablename__ = "station"

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=120)
    kind: StationKind = Field(default=StationKind.station, sa_type=String(20))
    district_code: str = Field(foreign_key="district.code", max_length=20, index=True)
    address: str = Field(default="", max_length=200)
    lat: float
    lon: float
    opening_hours: str = Field(default="24/7", max_length=200)
    services: list[str] = Field(default_factory=list, sa_type=JSON)
    phone: str = Field(default="", max_length=40)
    geofence_radius_m: int = Field(default=100)
    is_active: bool = Field(default=True)
    # check-in (issue 3): the station's own random QR key, how members check in, the poster's version
    qr_key: str = Field(default_factory=lambda: secrets.token_hex(16), max_length=64)
    checkin_mode: str = Field(default="kiosk", sa_type=String(20))  # services.checkin.CheckinMode
    poster_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # set on every update (ORM or Core): each process's copies of the stations notice the change by it
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"onupdate": utcnow})
