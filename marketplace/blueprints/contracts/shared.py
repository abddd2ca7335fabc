"""What the contracts pages share: the locale, choice lists, the acting buyer or trade member,
and the helpers every deal page's template uses."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

from marketplace.blueprints.contracts import bp
from marketplace.i18n import CERTIFICATE_NAMES, UNITS
from marketplace.models import Listing
from marketplace.parsing import VAT_RATES
from marketplace.services.deals import contracts
from marketplace.services.deals.rules import location_text
from marketplace.services.errors import NotFound
from marketplace.validation import small_int


def locale() -> str:
    return str(get_locale())


def seen_version(form) -> int | None:
    """The version of the deal the page showed (its hidden ``version`` field)."""
    return small_int(form.version.data)


def status_of_post() -> int:
    """The status of a form page: 422 when it is shown again after a refused post."""
    return 422 if request.method == "POST" else 200


def unit_choices() -> list[SelectChoice]:
    english = locale() == "en"
    return [SelectChoice(code, names[1] if english else names[0]) for code, names in UNITS.items()]


def vat_choices() -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in VAT_RATES.items()]


#: The largest quantity a link carries (as the search's quantity filter).
MAX_WANTED_QUANTITY = 10**9


def wanted_quantity(args) -> int | None:
    """The quantity a buyer searched for, carried in links (``?quantity=30``) from the search
    to the product page and on to its request and order forms; None when absent or odd."""
    value = small_int((args.get("quantity") or "").strip()[:12])
    return value if value and value <= MAX_WANTED_QUANTITY else None


def orderable_listing(listing_id: int | None) -> Listing | None:
    """The listing a buyer may act on from its page, or None."""
    try:
        return contracts.orderable_listing(listing_id)
    except NotFound:
        return None


@bp.app_context_processor
def deal_helpers() -> dict:
    return {"location_text": location_text, "certificate_names": CERTIFICATE_NAMES}
