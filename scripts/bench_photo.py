"""Photo upload benchmark: a 12-megapixel JPEG posted to a listing, variants included.

Runs the real route (check by content, EXIF strip, three WebP variants, storage, database)
in-process on a throwaway SQLite database and local storage, and prints a Markdown line.

    .venv/bin/python scripts/bench_photo.py [runs]
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP JPEG with the texture of a real photo (noise over a gradient), EXIF included."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(gradient, noise, 0.35)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def main(runs: int = 7) -> None:
    workdir = tempfile.mkdtemp(prefix="chohtx-bench-")
    os.environ["INSTANCE_PATH"] = workdir
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.demo import seed_demo
    from marketplace.extensions import db
    from marketplace.models import Category, Listing, User
    from marketplace.services.catalogue import listings
    from marketplace.services.context import Actor

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SMTP_HOST": None})
    with app.app_context():
        upgrade()
        seed_demo()
        user = db.session.scalar(db.select(User).where(User.email == "sam.laichau@demo.chohtx.vn"))
        org_id = user.memberships[0].organization_id
        category = db.session.scalar(db.select(Category).where(Category.slug == "sam"))
        listing = listings.create_listing(
            Actor(user=user),
            org_id,
            listings.ListingData(
                title_vi="Sâm tươi",
                category_id=category.id,
                unit="kg",
                base_price="2.000.000",
                monthly_capacity="50",
            ),
        )
        listing_id, user_id = listing.id, user.id
    photo = phone_photo()
    client = app.test_client()
    client.post(
        "/login", data={"email": "sam.laichau@demo.chohtx.vn", "password": "chohtx-demo-2026"}
    )
    url = f"/orgs/{org_id}/listings/{listing_id}/photos"
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post(
            url,
            data={"file": (io.BytesIO(photo), "IMG_0001.jpg")},
            content_type="multipart/form-data",
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
        with app.app_context():
            listing = db.session.get(Listing, listing_id)
            for p in list(listing.photos):  # stay under the 10-photo limit
                listings.remove_photo(
                    Actor(user=db.session.get(User, user_id)), org_id, listing_id, p.id
                )
    timings.sort()
    print(
        f"| 12 MP JPEG ({len(photo) / 1e6:.1f} MB) → 320/800/1600 px WebP, EXIF stripped, stored "
        f"| {runs} | {statistics.median(timings) * 1000:.0f} ms | {timings[-1] * 1000:.0f} ms |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
