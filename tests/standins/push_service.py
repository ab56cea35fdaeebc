"""A local Web Push service: it checks what a real one checks and answers as a test tells it.

Each device is a browser's subscription: an endpoint here, a P-256 key pair and an auth secret.
A POST to a device's endpoint must carry a VAPID JWT (RFC 8292: ES256 signature by the key in
`k=`, `aud` = this service's origin with its port, `exp` in the future and at most 24 h away,
a `sub`), a TTL header, and an aes128gcm body (RFC 8188/8291) of at most 4096 bytes, which is
decrypted with the device's private key. Answers: 201, or what the test queued (404, 410, 413,
429 with Retry-After, 500, ...). Only 127.0.0.1 is used.
"""
import base64
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64e(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


@dataclass
class Device:
    """One subscribed browser, as the push service knows it."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    server_key: str | None = None  # the applicationServerKey it subscribed with (None: any)
    max_body: int = 4096
    answers: list = field(default_factory=list)  # queued (status, headers) to answer instead of 201
    gone: bool = False

    @property
    def keys(self) -> dict:
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64e(raw), "auth": b64e(self.auth)}

    def subscription(self) -> dict:
        """The JSON a browser's PushSubscription.toJSON() gives."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": self.keys}


@dataclass
class Received:
    """A message the service accepted, decrypted."""

    device_id: str
    payload: dict
    ttl: int
    urgency: str
    topic: str
    claims: dict
    size: int


def verify_vapid(header: str, origin: str, now: float | None = None) -> tuple[dict, str]:
    """Check `Authorization: vapid t=<jwt>, k=<key>`; returns (claims, k) or raises ValueError."""
    now = now or time.time()
    match = re.match(r"^vapid\s+(.*)$", header or "", re.I)
    if not match:
        raise ValueError("no vapid authorization")
    parts = dict(p.strip().split("=", 1) for p in match.group(1).split(",") if "=" in p)
    token, key = parts.get("t", ""), parts.get("k", "")
    pieces = token.split(".")
    if len(pieces) != 3:
        raise ValueError("not a JWT")
    head = json.loads(b64d(pieces[0]))
    if head.get("alg") != "ES256":
        raise ValueError("alg is not ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    sig = b64d(pieces[2])
    if len(sig) != 64:
        raise ValueError("bad signature length")
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        public.verify(der, f"{pieces[0]}.{pieces[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("bad signature") from None
    claims = json.loads(b64d(pieces[1]))
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r} is not {origin!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + 24 * 3600:
        raise ValueError("exp missing, past or more than 24 h ahead")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub is not a mailto: or https: address")
    return claims, key


class PushService:
    """The stand-in; use as a context manager. `received`, `refused` and `hits` tell what happened."""

    def __init__(self, port: int = 0, decrypt: bool = True):
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.refused: list[tuple[str, int, str]] = []
        self.hits: Counter = Counter()  # device id -> POSTs accepted
        self.lock = threading.Lock()
        self.decrypt = decrypt
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers = service.handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PushService":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_device(self, server_key: str | None = None) -> Device:
        """A browser subscribing here (optionally bound to the application server key it used)."""
        dev_id = secrets.token_urlsafe(12)
        device = Device(dev_id, f"{self.origin}/push/{dev_id}", ec.generate_private_key(ec.SECP256R1()),
                        secrets.token_bytes(16), server_key)
        with self.lock:
            self.devices[dev_id] = device
        return device

    def answer(self, device: Device, *answers) -> None:
        """Queue answers for the next POSTs to a device: a status, or (status, {header: value})."""
        with self.lock:
            device.answers.extend(a if isinstance(a, tuple) else (a, {}) for a in answers)

    def refuse(self, dev_id: str, status: int, reason: str):
        with self.lock:
            self.refused.append((dev_id, status, reason))
        return status, {}

    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        dev_id = path.rsplit("/", 1)[-1]
        device = self.devices.get(dev_id)
        if device is None:
            return self.refuse(dev_id, 404, "unknown subscription")
        if device.gone:
            return self.refuse(dev_id, 410, "unsubscribed")
        try:
            claims, key = verify_vapid(headers.get("authorization", ""), self.origin)
        except (ValueError, KeyError, TypeError) as exc:
            return self.refuse(dev_id, 401, f"vapid: {exc}")
        if device.server_key and key != device.server_key:
            return self.refuse(dev_id, 403, "subscribed with another application server key")
        ttl = headers.get("ttl", "")
        if not ttl.isdigit():
            return self.refuse(dev_id, 400, "no TTL")
        urgency_ = headers.get("urgency", "normal")
        if urgency_ not in ("very-low", "low", "normal", "high"):
            return self.refuse(dev_id, 400, "bad Urgency")
        topic = headers.get("topic", "")
        if topic and not TOPIC.match(topic):
            return self.refuse(dev_id, 400, "bad Topic")
        with self.lock:
            queued = device.answers.pop(0) if device.answers else None
        if queued is not None:
            status, extra = queued
            if status in (404, 410):
                device.gone = True
            self.refuse(dev_id, status, "as told")
            return status, extra
        if len(body) > min(4096, device.max_body):
            return self.refuse(dev_id, 413, f"{len(body)} bytes")
        if headers.get("content-encoding") != "aes128gcm":
            return self.refuse(dev_id, 400, "not aes128gcm")
        payload = {}
        if self.decrypt:
            try:
                plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                         version="aes128gcm")
                payload = json.loads(plain)
            except Exception as exc:  # noqa: BLE001 - any failure to decrypt is the sender's fault
                return self.refuse(dev_id, 400, f"decrypt: {type(exc).__name__}")
        with self.lock:
            self.received.append(Received(dev_id, payload, int(ttl), urgency_, topic, claims, len(body)))
            self.hits[dev_id] += 1
        return 201, {"Location": f"{self.origin}/msg/{secrets.token_urlsafe(8)}"}
