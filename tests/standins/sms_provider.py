"""A local Aliyun Dysmsapi `SendSms` endpoint: it checks the RPC signature and the request as the real API
does and answers its JSON, with error codes a test queues. Only 127.0.0.1 is used.

Checks: every common parameter present; SignatureMethod HMAC-SHA1, SignatureVersion 1.0; the signature
(HMAC-SHA1 with key secret + "&" over "POST&%2F&" + the encoded, sorted query, recomputed here on its own);
Timestamp within 15 minutes; SignatureNonce never seen before; a mainland mobile number; the sign name
and the template known; TemplateParam a JSON object.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote_plus

COMMON = ("AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod", "SignatureNonce", "SignatureVersion",
          "Timestamp", "Version", "Signature")


def _enc(value: str) -> str:
    # Aliyun's percentEncode: URL-encode (UTF-8), then "+" -> "%20", "*" -> "%2A", "%7E" -> "~"
    return quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def signature(params: dict, secret: str, method: str = "POST") -> str:
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    text = f"{method}&{_enc('/')}&{_enc(query)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()).decode()


class SmsProvider:
    """The stand-in; a context manager. `sent` holds accepted messages; `answers` queues error codes."""

    def __init__(self, key_id="LTAI-test", secret="test-secret", sign_name="服务圈", templates=("SMS_100", "SMS_200")):
        self.key_id, self.secret, self.sign_name, self.templates = key_id, secret, sign_name, set(templates)
        self.sent: list[dict] = []
        self.errors: list[str] = []
        self.answers: list[str] = []
        self.nonces: set[str] = set()
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                status, body = provider.handle(params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "SmsProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def config(self, **templates) -> dict:
        """The app settings that point at this stand-in."""
        return {"SMS_PROVIDER": "aliyun", "SMS_ACCESS_KEY_ID": self.key_id, "SMS_ACCESS_KEY_SECRET": self.secret,
                "SMS_SIGN_NAME": self.sign_name, "SMS_ENDPOINT": self.url,
                "SMS_TEMPLATES": templates or {"meeting_reminder": "SMS_100", "meeting_cancelled": "SMS_200"}}

    def _error(self, status: int, code: str, message: str):
        with self.lock:
            self.errors.append(code)
        return status, {"Code": code, "Message": message, "RequestId": secrets.token_hex(8)}

    def handle(self, params: dict):
        missing = [k for k in COMMON if not params.get(k)]
        if missing:
            return self._error(400, "MissingParameter", f"missing {missing[0]}")
        if params["AccessKeyId"] != self.key_id:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return self._error(400, "InvalidParameter", "signature method")
        if not hmac.compare_digest(signature(params, self.secret), params["Signature"]):
            return self._error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return self._error(400, "InvalidTimeStamp.Format", "bad timestamp")
        if abs((datetime.now(timezone.utc) - stamp).total_seconds()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "timestamp expired")
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return self._error(400, "SignatureNonceUsed", "nonce used")
            self.nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return self._error(400, "InvalidAction.NotFound", "action")
        if not re.fullmatch(r"1\d{10}", params.get("PhoneNumbers", "")):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        if params.get("SignName") != self.sign_name:
            return self._error(200, "isv.SMS_SIGNATURE_ILLEGAL", "sign name not approved")
        if params.get("TemplateCode") not in self.templates:
            return self._error(200, "isv.SMS_TEMPLATE_ILLEGAL", "template not approved")
        try:
            variables = json.loads(params.get("TemplateParam") or "{}")
            assert isinstance(variables, dict)
        except (ValueError, AssertionError):
            return self._error(200, "isv.INVALID_JSON_PARAM", "TemplateParam is not JSON")
        with self.lock:
            queued = self.answers.pop(0) if self.answers else None
        if queued:
            return self._error(500 if queued.startswith("isp.") else 200, queued, "as told")
        with self.lock:
            self.sent.append({**params, "variables": variables})
        return 200, {"Code": "OK", "Message": "OK", "BizId": secrets.token_hex(8), "RequestId": secrets.token_hex(8)}
