"""WSGI entry point: ``gunicorn wsgi:app``."""

from kakehashi import create_app

app = create_app()
