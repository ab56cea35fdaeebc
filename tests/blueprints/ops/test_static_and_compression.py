"""Static files compressed and cached for a year when fingerprinted; pages compressed but never stored."""
import gzip
import re

import brotli
import pytest

from ops.static import file_hash
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "static"


def _static_urls(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(r'(/static/[^"\']+)', html)]


def _body(response) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    return data


def test_fingerprinted_static_is_immutable_and_precompressed(client):
    """Is app.css?v=<its hash> sent as Brotli (or gzip) with a year of immutable caching and Vary?"""
    version = file_hash(STATIC / "css" / "app.css")
    url = f"/static/css/app.css?v={version}"
    original = (STATIC / "css" / "app.css").read_bytes()
    for accept, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None)):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers.get("Content-Encoding") == encoding
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert _body(response) == original
        if encoding:
            assert int(response.headers["Content-Length"]) < len(original) / 3


def test_unversioned_or_stale_static_is_revalidated(client):
    """Is a static URL without its current hash (none, or an old one) sent with no-cache, and a 304 on revalidation?"""
    for url in ("/static/css/app.css", "/static/css/app.css?v=0000000000"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_every_static_url_on_a_page_is_the_immutable_kind(app, client, auth, factory):
    """Does each static URL a signed-in page emits match the file's hash (so it is cached for a year)?"""
    member = factory.member()
    auth.login(member.phone)
    html = _body(client.get("/", headers={"Accept-Encoding": "br"})).decode()
    urls = _static_urls(html)
    assert any("app.css" in u for u in urls)
    for url in urls:
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


def test_htmx_only_where_a_page_uses_it(app, client, auth, factory):
    """Does home (no hx- attributes) load no htmx, while the station list (htmx filters) does?"""
    factory.station()
    member = factory.member()
    auth.login(member.phone)
    home = client.get("/").get_data(as_text=True)
    assert "htmx.min.js" not in home
    stations = client.get("/stations/").get_data(as_text=True)
    assert " hx-" in stations and "htmx.min.js" in stations


@pytest.mark.parametrize("path", ["/", "/checkin/", "/study/", "/stations/", "/me/"])
def test_personal_pages_compressed_but_never_stored(client, auth, factory, path):
    """Are signed-in pages compressed when the browser accepts it, with no-store and nothing public or immutable?"""
    factory.station()
    member = factory.member()
    auth.login(member.phone)
    response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Accept-Encoding" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]
    assert "<html" in _body(response).decode()
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.headers["Cache-Control"] == "no-store"
    gz = client.get(path, headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
    assert gz.headers["Content-Encoding"] == "gzip"


def test_tiny_and_head_responses_are_not_compressed(client):
    """Are bodies under 500 bytes (the health check) and HEAD answers sent as they are?"""
    small = client.get("/healthz", headers={"Accept-Encoding": "br, gzip"})
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
    head = client.head("/login", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in head.headers


def test_json_and_the_manifest_are_compressed(client):
    """Is the web app manifest (JSON) compressed, keeping its own one-hour public caching?"""
    response = client.get("/manifest.webmanifest", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert b'"short_name"' in _body(response)


def test_service_worker_revalidates_with_a_304(client):
    """Does the browser's update check of /sw.js get a 304 when nothing changed?"""
    first = client.get("/sw.js")
    assert first.headers["Cache-Control"] == "no-cache" and first.headers.get("ETag")
    again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_service_worker_installs_only_the_shell(client):
    """Does the service worker's install take only files every page loads (no icons, no htmx), and keep
    the check-in kit for when the check-in tab asks?"""
    body = client.get("/sw.js").get_data(as_text=True)
    shell = re.search(r"const SHELL = (\[.*?\]);", body).group(1)
    assert "app.css" in shell and "icon-512" not in shell and "icon-192" not in shell and "htmx" not in shell
    assert "KITS.checkin" in body and "qr-scanner-worker" in body
