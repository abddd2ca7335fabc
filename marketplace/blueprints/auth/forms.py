from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from marketplace.blueprints.common import BaseForm
from marketplace.models.accounts import EMAIL_MAX, NAME_MAX
from marketplace.models.organizations import ORG_NAME_MAX
from marketplace.validation import PASSWORD_MAX


def _required(message):
    return DataRequired(message=message)


def buyer_type_choices():
    return [
        SelectChoice("", _l("— choose —")),
        SelectChoice("supermarket_chain", _l("Supermarket chain")),
        SelectChoice("canteen", _l("Canteen or kitchen")),
        SelectChoice("distributor", _l("Distributor")),
        SelectChoice("restaurant", _l("Restaurant")),
    ]


def locale_choices():
    return [SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]


def email_field():
    return EmailField(
        _l("Email"),
        validators=[_required(_l("Enter your email address.")), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "email"},
    )


def new_password_field(label):
    return PasswordField(
        label,
        validators=[_required(_l("Choose a password.")), Length(max=PASSWORD_MAX)],
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )


def confirm_password_field(label, other: str):
    return PasswordField(
        label,
        validators=[
            _required(_l("Repeat the password.")),
            EqualTo(other, message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PersonFields:
    name = StringField(
        _l("Full name"),
        validators=[_required(_l("Enter your full name.")), Length(max=NAME_MAX)],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Phone number"),
        validators=[Optional(), Length(max=30)],
        description=_l("A Vietnamese number, like 0912 345 678."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )


class SignupForm(BaseForm, PersonFields):
    account_kind = RadioField(
        _l("I represent"),
        choices=[
            SelectChoice("coop", _l("a co-operative (HTX)")),
            SelectChoice("buyer", _l("a buyer")),
            SelectChoice("fair_organizer", _l("a trade-fair organiser")),
        ],
        validators=[InputRequired(message=_l("Choose who you represent."))],
    )
    organization_name = StringField(
        _l("Name of your organisation"),
        validators=[
            _required(_l("Enter the name of your organisation.")),
            Length(max=ORG_NAME_MAX),
        ],
        description=_l("For example: HTX Sâm Lai Châu"),
        render_kw={"autocomplete": "organization"},
    )
    buyer_type = SelectField(_l("Kind of buyer"), choices=buyer_type_choices, default="")
    email = email_field()
    password = new_password_field(_l("Password"))
    confirm = confirm_password_field(_l("Repeat the password"), "password")

    def validate_buyer_type(self, field):
        if self.account_kind.data == "buyer" and not field.data:
            raise ValidationError(_l("Choose what kind of buyer you are."))


class InvitedSignupForm(BaseForm, PersonFields):
    password = new_password_field(_l("Password"))
    confirm = confirm_password_field(_l("Repeat the password"), "password")


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[_required(_l("Enter your password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me on this device"))


class ForgotPasswordForm(BaseForm):
    email = email_field()


class ResetPasswordForm(BaseForm):
    password = new_password_field(_l("New password"))
    confirm = confirm_password_field(_l("Repeat the new password"), "password")


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[_required(_l("Enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field(_l("New password"))
    confirm = confirm_password_field(_l("Repeat the new password"), "new_password")


class ProfileForm(BaseForm, PersonFields):
    locale = SelectField(_l("Language"), choices=locale_choices)
