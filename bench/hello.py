"""The ceiling: a bare Flask "hello world", served by gunicorn exactly like the app (``bench/run.py``)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
