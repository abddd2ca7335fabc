"""Forms of the contracts pages. Everything per line is a field list of small sub-forms:
lines of requests and quotes, the award, amendments, dispatch and receipt. The sub-forms of a
contract's or delivery's lines carry the line's id in a hidden ``line_id``, so the routes hand
the services values keyed by line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import Label
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm, KeptMultipleFileField, Rows
from marketplace.blueprints.onboarding.forms import LocationForm
from marketplace.services.accounts.profiles import LocationData
from marketplace.validation import bounded_int, small_int

#: Lines of a request, and so of a contract or delivery (rfqs.MAX_LINES).
MAX_LINES = 20
#: Extra deliveries one amendment can add.
EXTRA_DELIVERIES = 3
#: The "deliver to" choice that adds a new delivery location with the request.
NEW_LOCATION = "new"


def _optional_int(value: object) -> int | None:
    text = str(value or "").strip()
    return bounded_int(text) if text else None


WEEKDAYS = [
    SelectChoice("1", _l("Monday")),
    SelectChoice("2", _l("Tuesday")),
    SelectChoice("3", _l("Wednesday")),
    SelectChoice("4", _l("Thursday")),
    SelectChoice("5", _l("Friday")),
    SelectChoice("6", _l("Saturday")),
    SelectChoice("7", _l("Sunday")),
]
PATTERNS = [
    SelectChoice("one_off", _l("Once")),
    SelectChoice("weekly", _l("Every week")),
    SelectChoice("biweekly", _l("Every two weeks")),
    SelectChoice("monthly", _l("Every month")),
]


class LineList(Rows):
    """Inputs for each line of a contract, delivery or request: one sub-form per line, each
    with the line's id in a hidden ``line_id``."""

    def __init__(self, subform: type[BaseForm], label=None, **kwargs):
        kwargs.setdefault("max_entries", MAX_LINES)
        super().__init__(FormField(subform), label, **kwargs)

    def by_line(self) -> dict[int, BaseForm]:
        """The sub-forms by the id of their line (the first one, if a line came twice)."""
        found: dict[int, BaseForm] = {}
        for entry in self.entries:
            line_id = small_int(entry.form.line_id.data)
            if line_id is not None:
                found.setdefault(line_id, entry.form)
        return found

    def fill(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Hold exactly these rows (a fresh page: values from the database)."""
        while self.entries:
            self.pop_entry()
        for row in rows:
            self.append_entry(dict(row))

    def match(self, line_ids: Sequence[int]) -> None:
        """One entry per line, in this order, before anything is read or shown. The page posts
        exactly that, which is kept as typed; a post edited by hand keeps what it typed for
        the lines it names, and other lines are left blank."""
        if [small_int(entry.form.line_id.data) for entry in self.entries] == list(line_ids):
            return
        posted = self.by_line()
        self.fill(
            {name: field.data for name, field in posted[line_id]._fields.items()}
            if line_id in posted
            else {"line_id": str(line_id)}
            for line_id in line_ids
        )

    def error_names(self, errors: Mapping[str, object], **fields: str) -> dict[str, object]:
        """A service's errors named "<key>-<line id>" renamed to this list's fields: with
        ``quantity="quantity"``, "quantity-12" becomes "lines-0-quantity" when line 12 is the
        first. Other names stay as they are."""
        position: dict[int | None, int] = {}
        for index, entry in enumerate(self.entries):
            position.setdefault(small_int(entry.form.line_id.data), index)
        renamed: dict[str, object] = {}
        for name, message in errors.items():
            key, _, line = name.rpartition("-")
            index = position.get(small_int(line)) if line else None
            if key in fields and index is not None:
                name = f"{self.name}-{index}-{fields[key]}"
            renamed[name] = message
        return renamed


class LenientDateField(DateField):
    """A date that is None when left empty or unreadable: the service says what is missing."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        try:
            self.data = date.fromisoformat(text) if text else None
        except ValueError:
            self.data = None


class LineSubform(BaseForm):
    class Meta:
        csrf = False

    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    listing_id = HiddenField()
    specification = StringField(
        _l("What you need"),
        validators=[Length(max=500)],
        description=_l("Variety, size, grade, packing."),
    )
    quantity = StringField(_l("Quantity per delivery"), validators=[Length(max=20)])
    unit = SelectField(_l("Unit"), validate_choice=False)
    target_price = StringField(_l("Target price per unit (optional)"), validators=[Length(max=30)])


class RfqForm(BaseForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    lines = Rows(FormField(LineSubform), min_entries=1, max_entries=20)
    pattern = SelectField(
        _l("How often"), choices=PATTERNS, default="weekly", validate_choice=False
    )
    weekdays = SelectMultipleField(_l("Delivery days"), choices=WEEKDAYS, validate_choice=False)
    day_of_month = StringField(_l("Day of the month (monthly)"), validators=[Length(max=2)])
    starts_on = DateField(_l("First delivery on or after"), validators=[Optional()])
    ends_on = DateField(_l("Contract ends on"), validators=[Optional()])
    delivery_location_id = SelectField(
        _l("Deliver to"), coerce=_optional_int, validate_choice=False
    )
    # A new delivery location typed with the request: the profile's fields, saved with it.
    location_name = LocationForm.name
    location_province = LocationForm.province
    location_commune = LocationForm.commune
    location_street = LocationForm.street
    required_certificates = SelectMultipleField(
        _l("Certificates required"),
        choices=[
            SelectChoice("vietgap", "VietGAP"),
            SelectChoice("globalgap", "GlobalGAP"),
            SelectChoice("organic", _l("Organic")),
        ],
        validate_choice=False,
    )
    min_ocop_stars = SelectField(
        _l("OCOP rating required"),
        choices=[
            SelectChoice("", _l("Not required")),
            SelectChoice("3", "3★+"),
            SelectChoice("4", "4★+"),
            SelectChoice("5", "5★"),
        ],
        coerce=_optional_int,
        validate_choice=False,
    )
    payment_days = StringField(
        _l("Payment terms: days after delivery"), default="30", validators=[Length(max=4)]
    )
    respond_by_date = DateField(_l("Quotes due by (date)"), validators=[Optional()])
    respond_by_time = TimeField(_l("Quotes due by (time)"), validators=[Optional()], default=None)
    invited_only = BooleanField(_l("Send only to co-ops I choose"))
    invited_coop_ids = SelectMultipleField(
        _l("Co-ops to ask"), coerce=_optional_int, validate_choice=False
    )
    notes = TextAreaField(
        _l("Notes for the co-ops"), validators=[Length(max=4000)], render_kw={"rows": 3}
    )

    def new_location(self) -> LocationData:
        return LocationData(
            name=self.location_name.data or "",
            province=self.location_province.data or "",
            commune=self.location_commune.data or "",
            street=self.location_street.data or "",
        )

    def wants_new_location(self, has_locations: bool) -> bool:
        """A buyer without locations always adds one; otherwise when "a new address…" is
        chosen, or nothing is chosen and a new one is typed (the page without script)."""
        if not has_locations:
            return True
        raw = (self.delivery_location_id.raw_data or [""])[0]
        typed = any(value.strip() for value in astuple(self.new_location()))
        return raw == NEW_LOCATION or (not raw and typed)


class QuoteLineSubform(BaseForm):
    class Meta:
        csrf = False

    rfq_line_id = HiddenField()
    include = BooleanField(_l("Quote for this line"), default=True)
    listing_id = SelectField(_l("Our product"), coerce=_optional_int, validate_choice=False)
    unit_price = StringField(_l("Price per unit (₫)"), validators=[Length(max=30)])
    quantity = StringField(_l("Quantity per delivery we commit"), validators=[Length(max=20)])
    vat_rate = SelectField(_l("VAT"), validate_choice=False)


class VersionForm(BaseForm):
    version = HiddenField()
    lines = Rows(FormField(QuoteLineSubform), min_entries=0, max_entries=20)
    valid_until = DateField(_l("Offer valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)], render_kw={"rows": 3})
    attachments = KeptMultipleFileField(
        _l("Attachments (optional)"),
        description=_l("Up to 3 files: PDF, JPEG, PNG or WebP, at most 10 MB each."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[Length(max=4000)], render_kw={"rows": 3})
    attachments = KeptMultipleFileField(
        _l("Attachments (optional)"),
        description=_l("Up to 3 files: PDF, JPEG, PNG or WebP, at most 10 MB each."),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )


class VersionedForm(BaseForm):
    """A button that changes a contract, delivery or negotiation: CSRF plus the version
    the user saw."""

    version = HiddenField()


class SignForm(VersionedForm):
    """Signing: the signer ticks that they read the contract and sign for their
    organisation (the route names the organisation in the label)."""

    confirm = BooleanField(_l("I have read the contract and sign for my organisation"))


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})


class NoticeForm(ReasonForm):
    ends_on = DateField(_l("Last day of the contract"), validators=[Optional()])


class AwardLineSubform(BaseForm):
    """Which quote a request line goes to ("" for none); the page lists the offers."""

    class Meta:
        csrf = False

    line_id = HiddenField()
    quote_id = SelectField(validate_choice=False)


class SeenQuoteSubform(BaseForm):
    """The version of a quote the buyer saw when choosing."""

    class Meta:
        csrf = False

    quote_id = HiddenField()
    version = HiddenField()


class AwardForm(BaseForm):
    lines = LineList(AwardLineSubform)
    quotes = Rows(FormField(SeenQuoteSubform))

    def fill(self, lines, quotes) -> None:
        """One choice per request line, and the version seen of each open quote."""
        self.lines.fill({"line_id": str(line.id)} for line in lines)
        for quote in quotes:
            if quote.status.value == "open":
                self.quotes.append_entry(
                    {"quote_id": str(quote.id), "version": str(quote.current_version)}
                )


def _numeric(**render_kw: object) -> dict[str, object]:
    return {"inputmode": "numeric", **render_kw}


class AmendLineSubform(BaseForm):
    class Meta:
        csrf = False

    line_id = HiddenField()
    price = StringField(
        _l("New price per unit (₫)"), validators=[Length(max=30)], render_kw=_numeric()
    )
    quantity = StringField(
        _l("New quantity per delivery"), validators=[Length(max=20)], render_kw=_numeric()
    )


class ExtraQuantitySubform(BaseForm):
    class Meta:
        csrf = False

    line_id = HiddenField()
    #: Labelled with the goods of its line by AmendmentForm.match.
    quantity = StringField(validators=[Length(max=20)], render_kw=_numeric())


class ExtraDeliverySubform(BaseForm):
    class Meta:
        csrf = False

    on = LenientDateField(_l("Date"))
    lines = LineList(ExtraQuantitySubform)


class AmendmentForm(VersionedForm):
    reason = TextAreaField(
        _l("Reason for the change"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    effective_from = DateField(_l("Change applies from"), validators=[Optional()])
    lines = LineList(AmendLineSubform)
    extras = Rows(
        FormField(ExtraDeliverySubform),
        min_entries=EXTRA_DELIVERIES,
        max_entries=EXTRA_DELIVERIES,
    )

    def match(self, contract) -> None:
        """One entry per line of ``contract`` everywhere, each extra quantity labelled with
        the goods of its line."""
        line_ids = [line.id for line in contract.lines]
        self.lines.match(line_ids)
        for extra in self.extras.entries:
            extra.form.lines.match(line_ids)
            for line, entry in zip(contract.lines, extra.form.lines.entries, strict=True):
                field = entry.form.quantity
                field.label = Label(field.id, _l("Quantity of %(goods)s", goods=line.description))

    def field_errors(self, errors: Mapping[str, object]) -> dict[str, object]:
        """The service's "price-12", "extra-0-on" and "extra-0-12" as this form's field names
        ("lines-0-price", "extras-0-on", "extras-0-lines-0-quantity")."""
        extras = {f"extra-{i}-": entry.form for i, entry in enumerate(self.extras.entries)}
        renamed: dict[str, object] = {}
        for name, message in self.lines.error_names(
            errors, price="price", quantity="quantity"
        ).items():
            prefix = next((p for p in extras if name.startswith(p)), None)
            if prefix is not None:
                extra, rest = extras[prefix], name[len(prefix) :]
                if rest == "on":
                    name = extra.on.name
                else:
                    [name] = extra.lines.error_names(
                        {f"quantity-{rest}": message}, quantity="quantity"
                    )
            renamed[name] = message
        return renamed


class DispatchLineSubform(BaseForm):
    class Meta:
        csrf = False

    line_id = HiddenField()
    quantity = StringField(_l("Quantity dispatched"), render_kw=_numeric())
    #: Choices are this line's lots, set by the page.
    lot = SelectField(
        _l("Lot"),
        validate_choice=False,
        description=_l("The buyer can trace the goods to this lot."),
    )


class ReceiptLineSubform(BaseForm):
    class Meta:
        csrf = False

    line_id = HiddenField()
    accepted = StringField(_l("Quantity accepted"), render_kw=_numeric())
    rejected = StringField(_l("Quantity rejected"), render_kw=_numeric())
    reason = TextAreaField(_l("Reason for rejecting"), render_kw={"rows": 2})
    photos = KeptMultipleFileField(
        _l("Photos of rejected goods (optional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class DispatchForm(VersionedForm):
    lines = LineList(DispatchLineSubform)
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2})
    # Shown only for a delivery planned well ahead (deliveries.EARLY_DISPATCH_DAYS).
    early = BooleanField(_l("Dispatch early: send it now, before its date"))

    def field_errors(self, errors: Mapping[str, object]) -> dict[str, object]:
        return self.lines.error_names(errors, quantity="quantity", lot="lot")


class ReceiptForm(VersionedForm):
    lines = LineList(ReceiptLineSubform)
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2})

    def field_errors(self, errors: Mapping[str, object]) -> dict[str, object]:
        return self.lines.error_names(
            errors, accepted="accepted", rejected="rejected", reason="reason", photos="photos"
        )


class VoidForm(BaseForm):
    reason = TextAreaField(
        _l("Why is this invoice void?"), validators=[Length(max=2000)], render_kw={"rows": 2}
    )


class SpotOrderForm(BaseForm):
    quantity = StringField(_l("Quantity"), validators=[Length(max=20)])
    delivery_on = DateField(_l("Delivery date"), validators=[Optional()])
    delivery_location_id = SelectField(
        _l("Deliver to"), coerce=_optional_int, validate_choice=False
    )
    payment_days = StringField(
        _l("Payment terms: days after delivery"), default="7", validators=[Length(max=4)]
    )
    note = StringField(_l("Note for the co-op (optional)"), validators=[Length(max=300)])
    #: The unit price the page showed for the quantity shown (checked by the service).
    seen_unit_price = HiddenField(validators=[Length(max=20)])
