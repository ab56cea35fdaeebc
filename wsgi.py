"""The WSGI entry for servers that want a module-level app (gunicorn uses the factory)."""
from app import create_app

app = create_app()
