"""A bare Flask app for the HTTP benchmark: one route returning N bytes, nothing else.

Serves as the floor the real pages are compared with: the same server, the same workers,
the same response size, but no database, templates, sessions or extensions.
"""

from flask import Flask, Response

app = Flask(__name__)


@app.route("/bytes/<int:n>")
def fixed_bytes(n: int) -> Response:
    return Response(b"x" * min(n, 10_000_000), mimetype="text/html")
