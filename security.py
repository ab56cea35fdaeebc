"""Security headers for every response, with a CSP that needs no inline script or eval."""
from flask import Flask, request


def content_security_policy(app: Flask) -> str:
    """The Content-Security-Policy; map tile hosts come from configuration."""
    img = ["'self'", "data:", "blob:", *app.config.get("CSP_IMG_HOSTS", [])]
    connect = ["'self'", *app.config.get("CSP_CONNECT_HOSTS", [])]
    media = ["'self'", "blob:", *app.config.get("CSP_MEDIA_HOSTS", [])]
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(img)}",
        f"media-src {' '.join(media)}",
        f"connect-src {' '.join(connect)}",
        "worker-src 'self' blob:",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ])


def apply_security_headers(app: Flask, response):
    """Set the headers that every page carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(app))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint and not request.endpoint.startswith(("static", "pwa.")):
        # pages with personal data are never stored by the browser or the service worker
        headers.setdefault("Cache-Control", "no-store")
    return response
