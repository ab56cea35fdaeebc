"""QR tokens that cannot be made at home: HMACs of a station (or a member) and a 15-second time step.

Three kinds, each a short URL-safe text:
- ``r.<station>.<step>.<mac>``: the kiosk's rotating code; valid in its step and the next one.
- ``p.<station>.<version>.<mac>``: the printed poster's fixed code (always with the geofence);
  printing a new version voids the old posters.
- ``m.<member>.<step>.<mac>``: the member's own rotating 我的签到码, scanned by station staff.
- ``g.<meeting>.<step>.<mac>``: a branch meeting's rotating attendance code (the meetings domain), keyed
  with the meeting's random ``qr_key``; the same steps and window as a kiosk's.

The MAC key is derived from the app's SECRET_KEY and, for stations, the station's random
``qr_key``, so a leaked code of one station says nothing about another.
"""
import base64
import hashlib
import hmac
import io
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import segno
from flask import current_app, url_for

STEP_SECONDS = 15
MAC_BYTES = 12  # 96 bits, 16 characters of base64url


class TokenError(ValueError):
    """The text is not one of our codes, or its MAC does not match."""


@dataclass(frozen=True)
class Token:
    """A parsed code: kind ('r', 'p', 'm' or 'g'), the station, member or meeting id, and the step or poster version."""

    kind: str
    subject_id: int
    counter: int
    mac: str

    @property
    def text(self) -> str:
        """The code as printed in the QR."""
        return f"{self.kind}.{self.subject_id}.{self.counter}.{self.mac}"


def step_seconds() -> int:
    """The length of one time step (configurable for tests, 15 s by default)."""
    return int(current_app.config.get("CHECKIN_STEP_SECONDS", STEP_SECONDS))


def step_at(moment: datetime | float | None = None) -> int:
    """The time step a moment falls in (now by default)."""
    if moment is None:
        moment = time.time()
    if isinstance(moment, datetime):
        moment = moment.timestamp()
    return int(moment // step_seconds())


def step_start(step: int) -> datetime:
    """When a step begins, as aware UTC."""
    return datetime.fromtimestamp(step * step_seconds(), tz=timezone.utc)


def _mac(*parts) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    message = "|".join(str(p) for p in parts).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def rotating_token(station, step: int | None = None) -> str:
    """The kiosk's code of a station for a time step (the current one by default)."""
    step = step_at() if step is None else step
    return Token("r", station.id, step, _mac("r", station.id, station.qr_key, step)).text


def poster_token(station) -> str:
    """The station's fixed poster code (its current version)."""
    return Token("p", station.id, station.poster_version,
                 _mac("p", station.id, station.qr_key, station.poster_version)).text


def member_token(member_id: int, step: int | None = None) -> str:
    """A member's own rotating code (我的签到码) for a time step."""
    step = step_at() if step is None else step
    return Token("m", member_id, step, _mac("m", member_id, step)).text


def meeting_token(meeting, step: int | None = None) -> str:
    """A meeting's rotating attendance code for a time step (the current one by default)."""
    step = step_at() if step is None else step
    return Token("g", meeting.id, step, _mac("g", meeting.id, meeting.qr_key, step)).text


def verify_meeting_mac(token: Token, meeting) -> bool:
    """Whether a meeting code was made with this meeting's key."""
    return _same(_mac("g", meeting.id, meeting.qr_key, token.counter), token.mac)


def _same(expected: str, given) -> bool:
    """Compare a MAC with what was sent in constant time; any text (non-ASCII too) is compared, never raises."""
    return hmac.compare_digest(expected.encode(), str(given).encode("utf-8", "surrogatepass"))


def parse(text: str) -> Token:
    """Split a code (or a check-in URL holding one) into its parts; TokenError when it is not ours."""
    text = (text or "").strip()
    if "/c/" in text:  # a whole URL scanned by an app (/c/<code> of a station, /meetings/c/<code> of a meeting)
        text = text.split("/c/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    parts = text.split(".")
    if len(parts) != 4 or parts[0] not in ("r", "p", "m", "g") or len(text) > 80:
        raise TokenError("not a code")
    try:
        subject, counter = int(parts[1]), int(parts[2])
    except ValueError as e:
        raise TokenError("not a code") from e
    if not 0 < subject < 2 ** 31 or not 0 <= counter < 2 ** 63:  # ids are INTEGER columns: a longer one is no code
        raise TokenError("not a code")
    return Token(parts[0], subject, counter, parts[3])


def verify_station_mac(token: Token, station) -> bool:
    """Whether a station code (rotating or poster) was made with this station's key."""
    expected = _mac(token.kind, station.id, station.qr_key, token.counter)
    return _same(expected, token.mac)


def verify_member_mac(token: Token) -> bool:
    """Whether a member code is genuine."""
    return _same(_mac("m", token.subject_id, token.counter), token.mac)


def step_window_ok(token_step: int, at_step: int) -> bool:
    """A rotating code is good in its own step and the next one: never older, never from the future."""
    return at_step - 1 <= token_step <= at_step


def public_url(endpoint: str, **values) -> str:
    """An absolute https URL to the app (PUBLIC_BASE_URL when set), for QR codes and posters."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def code_url(token: str, station=None, *, needs_position: bool = False) -> str:
    """The URL a station QR holds.

    The fragment (never sent to the server) gives the station's public position and fence, and
    whether the code needs the member's position, so the app's scanner can judge the geofence
    on the phone while offline and keep only the result.
    """
    url = public_url("checkin.scan", code=token)
    if station is not None:
        url += f"#g={station.lat:.5f},{station.lon:.5f},{station.geofence_radius_m},{1 if needs_position else 0}"
    return url


def svg(data: str, *, scale: int = 10, border: int = 2, title: str | None = None) -> str:
    """An inline SVG of a QR code (error correction M, dark modules in near-black)."""
    qr = segno.make(data, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True, title=title,
            svgclass="qr-svg", lineclass=None, omitsize=True, dark="#111")
    return out.getvalue().decode()


def matrix(data: str) -> list[list[bool]]:
    """The QR's modules as rows of booleans (tests draw a fake camera video from it)."""
    return [[bool(v) for v in row] for row in segno.make(data, error="m", micro=False).matrix]


def sign_scan(code: str, scanned_at: datetime) -> str:
    """A pass that proves when the server saw a code opened (it survives a sign-in, for 2 minutes)."""
    ts = int(scanned_at.timestamp())
    return f"{ts}.{_mac('s', code, ts)}"


def open_scan(code: str, scan_pass: str | None) -> datetime | None:
    """The moment a pass was issued for this code, or None when it is missing or forged."""
    try:
        ts_text, mac = (scan_pass or "").split(".", 1)
        ts = int(ts_text)
    except ValueError:
        return None
    if not _same(_mac("s", code, ts), mac):
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc)
