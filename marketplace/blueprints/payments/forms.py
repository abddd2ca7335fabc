"""Forms of the payment pages."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from marketplace.blueprints.common import BaseForm, KeptFileField
from marketplace.payments import vietqr


class TransferForm(BaseForm):
    amount = StringField(_l("Amount received (₫)"), validators=[Length(max=30)])
    paid_on = DateField(_l("Date on the bank statement"), validators=[Optional()])
    bank_reference = StringField(
        _l("Bank reference of the transfer"),
        validators=[Length(max=120)],
        description=_l("As the bank statement shows it; each is recorded once."),
    )
    partial = BooleanField(_l("Part payment (less than what is owed)"))


class RefundForm(BaseForm):
    amount = StringField(_l("Amount to refund (₫)"), validators=[Length(max=30)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})


def bank_choices() -> list[SelectChoice]:
    """Every VietQR bank as "short name · full name", in the bank list's order."""
    return [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, f"{bank.short_name} · {bank.full_name}")
        for code, bank in vietqr.BANKS.items()
    ]


class BankAccountForm(BaseForm):
    bin = SelectField(_l("Bank"), choices=bank_choices, validate_choice=False)
    account = StringField(
        _l("Account number"),
        validators=[Length(max=40)],
        description=_l("Digits only; spaces, dots and dashes between them are fine."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    holder = StringField(
        _l("Account holder (as the bank shows it)"),
        validators=[Length(max=120)],
        description=_l("As your bank shows it, e.g. HTX NONG SAN SAM"),
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )


class StatementForm(BaseForm):
    file = KeptFileField(
        _l("Bank statement (CSV)"),
        description=_l("Columns: date, amount, description (Ngày, Số tiền, Nội dung); UTF-8."),
        render_kw={"accept": ".csv,text/csv"},
    )


class PayoutForm(BaseForm):
    amount = StringField(_l("Amount paid out (₫)"), validators=[Length(max=30)])
    paid_on = DateField(_l("Date"), validators=[Optional()])
    bank_reference = StringField(_l("Bank reference"), validators=[Length(max=120)])


class ClaimForm(BaseForm):
    """The payer's "I have transferred"."""

    amount = StringField(
        _l("Amount you transferred (₫)"),
        validators=[Length(max=30)],
        render_kw={"inputmode": "numeric"},
    )
    paid_on = DateField(_l("Date of the transfer"), validators=[Optional()])
    bank_reference = StringField(
        _l("Bank reference (optional)"),
        validators=[Length(max=120)],
        description=_l("The transaction number your bank app shows, if you have it."),
    )
    receipt = KeptFileField(
        _l("Photo of the receipt (optional)"),
        description=_l("A screenshot of the bank app's confirmation; JPEG, PNG or WebP."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class NotArrivedForm(BaseForm):
    note = TextAreaField(
        _l("What you see on your account"),
        validators=[Length(max=1000)],
        render_kw={"rows": 3},
        description=_l("For example: nothing with this reference has arrived by today."),
    )
