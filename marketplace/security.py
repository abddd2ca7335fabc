"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def content_security_policy(file_origins: list[str], form_origins: tuple[str, ...] = ()) -> str:
    """Everything from this origin — no inline scripts or styles, no CDNs — except images
    and documents, which may come from the object store, and forms that lead to Stripe's
    payment page when cards are on."""
    files = " ".join(["'self'", *file_origins])
    forms = " ".join(["'self'", *form_origins])
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {files} data:",
            f"frame-src {files}",
            "style-src 'self'",
            "script-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action {forms}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


CONTENT_SECURITY_POLICY = content_security_policy([])


def init_app(app: Flask) -> None:
    origins = (
        {
            _origin(app.config.get("S3_PUBLIC_BASE_URL")),
            _origin(app.config.get("S3_ENDPOINT_URL")),
        }
        if app.config.get("S3_BUCKET")
        else set()
    )
    # The card form redirects to Stripe Checkout; browsers apply form-action to redirects.
    stripe_pages = ("https://checkout.stripe.com",) if app.config.get("STRIPE_SECRET_KEY") else ()
    policy = content_security_policy(sorted(o for o in origins if o), stripe_pages)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
