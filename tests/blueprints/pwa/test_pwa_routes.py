"""Manifest, service worker, offline page and the health check."""


def test_manifest(client):
    """Is the manifest installable: Chinese names, standalone, icons 192 and 512 with a maskable one?"""
    data = client.get("/manifest.webmanifest").get_json()
    assert data["short_name"] == "服务圈" and data["display"] == "standalone" and data["start_url"]
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_scope_and_version(client):
    """Is /sw.js served as JavaScript at the root, versioned, with the offline page in its shell?"""
    response = client.get("/sw.js")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert "sc-shell-" in body and "/offline" in body and "caches.delete" in body


def test_offline_page(client):
    """Is there an offline page anyone can load?"""
    assert client.get("/offline").status_code == 200


def test_healthz(client):
    """Does /healthz answer 200 with the database checked?"""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}
