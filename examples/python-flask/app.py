"""A minimal Flask app for Riker: shows which commit and release are running."""
import os

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    commit = os.environ.get("RIKER_COMMIT", "unknown")
    release = os.environ.get("RIKER_RELEASE", "unknown")
    return f"<h1>Hello from Riker</h1><p>commit {commit}, release {release}</p>\n"


@app.route("/health")
def health():
    return "ok\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
