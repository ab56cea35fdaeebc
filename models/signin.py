"""Failed sign-ins, counted in the app database so that every web worker and host shares the count."""
from typing import Optional

from sqlalchemy import BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel


class LoginAttempt(SQLModel, table=True):
    """Failures under one key (an HMAC of account and address, of the address, or of the account), with the
    time of the last one and how long further tries wait. Times are milliseconds since the epoch."""

    __tablename__ = "login_attempt"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    failures: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    blocked_until_ms: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
