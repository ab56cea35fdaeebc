"""Text messages through Aliyun Dysmsapi `SendSms` (RPC signature, HMAC-SHA1) over requests.

Off unless configured: SMS_PROVIDER=aliyun, an access key, an approved sign name and an approved
template code per purpose (SMS_TEMPLATES="meeting_reminder=SMS_1,meeting_cancelled=SMS_2").
Templates take two variables, ${title} and ${time}. Phone numbers are never logged.
"""
import base64
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

import requests
from flask import current_app, has_app_context

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
# Codes worth trying again later; every other error code is final for this message.
RETRYABLE = {"isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY", "isv.OUT_OF_SERVICE", "Throttling.User",
             "isv.BUSINESS_LIMIT_CONTROL", "ServiceUnavailable", "InternalError", "Throttling"}


def _config() -> dict:
    return current_app.config if has_app_context() else {}


def templates() -> dict[str, str]:
    """Purpose -> approved template code, from SMS_TEMPLATES."""
    raw = _config().get("SMS_TEMPLATES") or ""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items() if v}
    found = {}
    for part in str(raw).replace(";", ",").split(","):
        purpose, sep, code = part.partition("=")
        if sep and purpose.strip() and code.strip():
            found[purpose.strip()] = code.strip()
    return found


def configured() -> bool:
    """Whether text messages can be sent at all."""
    cfg = _config()
    return (cfg.get("SMS_PROVIDER") or "").lower() == "aliyun" and bool(
        cfg.get("SMS_ACCESS_KEY_ID") and cfg.get("SMS_ACCESS_KEY_SECRET") and cfg.get("SMS_SIGN_NAME"))


def available(purpose: str) -> bool:
    """Whether a text message can carry `purpose` (configured, with an approved template for it)."""
    return configured() and purpose in templates()


def daily_limit() -> int:
    """Texts to one phone per local day (Aliyun allows 50 notifications; members want far fewer)."""
    return int(_config().get("SMS_DAILY_LIMIT", 10))


def percent(value: str) -> str:
    """Aliyun's percent-encoding (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay)."""
    return quote(str(value), safe="-_.~")


def sign(params: dict, secret: str, method: str = "POST") -> str:
    """The RPC signature: HMAC-SHA1 over METHOD&%2F&encoded(sorted query), key = secret + "&"."""
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class SmsResult:
    """What the provider said: ok, or an error code and whether trying again may help."""

    ok: bool
    code: str = ""
    retry: bool = False
    detail: str = ""


def send_sms(*, phone: str, purpose: str, variables: dict, out_id: str, session: requests.Session | None = None,
             now: datetime | None = None) -> SmsResult:
    """One SendSms call. Never raises for the provider's answers; the phone is never logged."""
    cfg = _config()
    template = templates().get(purpose)
    if not configured() or not template:
        return SmsResult(False, "not_configured")
    now = now or datetime.now(timezone.utc)
    params = {
        "AccessKeyId": cfg["SMS_ACCESS_KEY_ID"], "Action": "SendSms", "Format": "JSON",
        "PhoneNumbers": phone, "RegionId": cfg.get("SMS_REGION", "cn-hangzhou"),
        "SignName": cfg["SMS_SIGN_NAME"], "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0", "TemplateCode": template,
        "TemplateParam": json.dumps(variables, ensure_ascii=False, separators=(",", ":")),
        "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        "OutId": out_id,
    }
    params["Signature"] = sign(params, cfg["SMS_ACCESS_KEY_SECRET"])
    http = session or requests
    try:
        response = http.post(cfg.get("SMS_ENDPOINT") or DEFAULT_ENDPOINT, data=params,
                             timeout=float(cfg.get("SMS_TIMEOUT", 5)))
    except requests.RequestException as exc:
        return SmsResult(False, "network", retry=True, detail=type(exc).__name__)
    try:
        answer = response.json()
        code = str(answer.get("Code", ""))[:60]
    except (ValueError, AttributeError):
        return SmsResult(False, f"http_{response.status_code}", retry=True,
                         detail="unreadable answer")
    if code == "OK":
        return SmsResult(True, "OK")
    retry = code in RETRYABLE or response.status_code >= 500
    log.warning("sms %s for %s failed: %s", out_id, purpose, code)
    return SmsResult(False, code or f"http_{response.status_code}", retry=retry,
                     detail=str(answer.get("Message", ""))[:120])
