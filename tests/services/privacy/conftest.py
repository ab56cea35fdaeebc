"""Fixtures for the privacy tests: exports and uploads kept in the test's own instance directory."""
import pytest


@pytest.fixture
def instance_dir(app, tmp_path):
    """An instance/ of the test's own: downloads and uploads are written there (and searched by the tests)."""
    root = tmp_path / "instance"
    root.mkdir()
    app.config["PRIVACY_EXPORT_DIR"] = str(root / "exports")
    app.config["UPLOAD_DIR"] = str(root / "uploads")
    return root
