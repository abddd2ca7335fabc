"""The permission matrices: every route, with the status each kind of user gets.

``ROUTES`` covers organisations, onboarding, listings, fairs and administration for the users in
``USERS`` (tests/test_permissions.py); ``DEAL_ROUTES`` covers supply deals and payments for the
users in ``DEAL_USERS`` (tests/test_contract_permissions.py). A private organisation page answers
404 to outsiders (its existence is private) and 403 to members whose role is too low.
"""

USERS = ["anonymous", "coop_owner", "coop_staff", "buyer", "other_coop", "admin", "organiser"]

# (method, path template, expected status per user)
LOGGED_IN_OK = dict.fromkeys(USERS, 200) | {"anonymous": 302}
MEMBERS_ONLY = {
    "anonymous": 302,
    "coop_owner": 200,
    "coop_staff": 200,
    "buyer": 404,
    "other_coop": 404,
    "admin": 404,
}
MANAGERS_ONLY = MEMBERS_ONLY | {"coop_owner": 302, "coop_staff": 403}
ADMIN_ONLY = dict.fromkeys(USERS, 403) | {"anonymous": 302, "admin": 200}
ORGANISER_ONLY = dict.fromkeys(USERS, 404) | {"anonymous": 302, "organiser": 200}
FEE_INVOICE = dict.fromkeys(USERS, 404) | {"anonymous": 302}
FEE_RECEIVED = ORGANISER_ONLY | {"organiser": 404}
ROUTES = [
    ("GET", "/", dict.fromkeys(USERS, 200)),
    ("GET", "/healthz", dict.fromkeys(USERS, 200)),
    ("GET", "/readyz", dict.fromkeys(USERS, 200)),
    ("GET", "/search?q=sam+lai+chau", dict.fromkeys(USERS, 200)),
    ("GET", "/search?province=atlantis", dict.fromkeys(USERS, 400)),
    ("GET", "/api/v1/search?q=sam&ocop=4&sort=price_asc", dict.fromkeys(USERS, 200)),
    ("GET", "/api/v1/search?page=999999", dict.fromkeys(USERS, 400)),
    ("GET", "/api/v1/search/suggest?q=sam+l", dict.fromkeys(USERS, 200)),
    ("GET", "/signup", dict.fromkeys(USERS, 302) | {"anonymous": 200}),
    ("GET", "/login", dict.fromkeys(USERS, 302) | {"anonymous": 200}),
    ("GET", "/password/forgot", dict.fromkeys(USERS, 200)),
    ("GET", "/password/reset/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/signup/sent", dict.fromkeys(USERS, 200)),
    ("GET", "/signup/continue/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/account", LOGGED_IN_OK),
    ("GET", "/account/password", LOGGED_IN_OK),
    # Which emails one gets (nothing ticked: every kind off, saved and redirected).
    ("GET", "/account/emails", LOGGED_IN_OK),
    ("POST", "/account/emails", dict.fromkeys(USERS, 302)),
    ("GET", "/orgs/", LOGGED_IN_OK),
    ("GET", "/orgs/{org}", MEMBERS_ONLY),
    ("GET", "/orgs/999999", MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404}),
    ("POST", "/orgs/{org}/invitations", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/invitations/{inv}/revoke", MANAGERS_ONLY),
    ("GET", "/invitations/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/invitations/report/bad-token", dict.fromkeys(USERS, 400)),
    ("POST", "/invitations/report/bad-token", dict.fromkeys(USERS, 400)),
    ("GET", "/invitations/bad-token/signup", dict.fromkeys(USERS, 400)),
    # Private files need a signed URL, whoever asks; unknown public files are 404.
    ("GET", "/media/private/orgs/1/x.pdf", dict.fromkeys(USERS, 403)),
    ("GET", "/media/public/orgs/1/none.webp", dict.fromkeys(USERS, 404)),
    ("GET", "/share/public/orgs/1/none.jpg", dict.fromkeys(USERS, 404)),
    ("GET", "/share/private/orgs/1/x.jpg", dict.fromkeys(USERS, 404)),
    ("GET", "/admin/", ADMIN_ONLY),
    ("GET", "/admin/verifications", ADMIN_ONLY),
    ("GET", "/admin/verifications/{org}", ADMIN_ONLY),
    # The admin's decision on a draft is refused with a message (and a redirect).
    ("POST", "/admin/verifications/{org}/decide", ADMIN_ONLY | {"admin": 302}),
    ("POST", "/admin/certificates/{cert}/decide", ADMIN_ONLY | {"admin": 302}),
    ("GET", "/orgs/{org}/profile", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/profile/identity", MEMBERS_ONLY | {"coop_staff": 403}),
    # The payout bank account step (co-ops and organisers; a buyer has no such step).
    ("GET", "/orgs/{org}/profile/bank", MEMBERS_ONLY | {"coop_staff": 403}),
    ("POST", "/orgs/{org}/profile/logo", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/profile/photos", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/profile/photos/999999/delete", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/profile/submit", MANAGERS_ONLY),
    # No document uploaded yet: nothing to show, even to members.
    ("GET", "/orgs/{org}/registration-document", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("GET", "/orgs/{org}/certificates/new", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/certificates/{cert}/edit", MEMBERS_ONLY | {"coop_staff": 403}),
    (
        "GET",
        "/orgs/{org}/certificates/{cert}/document",
        MEMBERS_ONLY | {"coop_owner": 302, "coop_staff": 302},
    ),
    # Delivery locations are for buyers: a co-op has none to manage.
    ("POST", "/orgs/{org}/locations", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/locations/999999/delete", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/members/{staff}/role", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/members/{extra}/remove", MANAGERS_ONLY),
    # A draft co-op has no public page yet, whoever asks.
    ("GET", "/htx/{slug}", dict.fromkeys(USERS, 404)),
    ("GET", "/orgs/{org}/listings", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings/new", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/listings/{listing}/edit", MEMBERS_ONLY | {"coop_staff": 403}),
    # "approve" is not a listing action: refused with a message for the owner.
    ("POST", "/orgs/{org}/listings/{listing}/state", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/quick", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/duplicate", MANAGERS_ONLY),
    ("POST", "/orgs/{org}/listings/{listing}/photos", MANAGERS_ONLY),
    (
        "POST",
        "/orgs/{org}/listings/{listing}/photos/999999",
        MANAGERS_ONLY | {"coop_owner": 404},
    ),
    ("GET", "/orgs/{org}/listings/{listing}/lots", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings.csv", MEMBERS_ONLY),
    ("GET", "/orgs/{org}/listings/import", MEMBERS_ONLY | {"coop_staff": 403}),
    # A draft listing is not public; the slug of a co-op is not a category.
    ("GET", "/p/{slug}", dict.fromkeys(USERS, 404)),
    ("GET", "/c/{slug}", dict.fromkeys(USERS, 404)),
    # A lot's traceability page and QR codes are public only once its co-op is verified (this
    # one is not: nothing of an unverified organisation is public).
    ("GET", "/t/{lot}", dict.fromkeys(USERS, 404)),
    ("GET", "/t/{lot}/qr.png", dict.fromkeys(USERS, 404)),
    ("GET", "/t/{lot}/qr.svg", dict.fromkeys(USERS, 404)),
    ("GET", "/t/{lot}/lab", dict.fromkeys(USERS, 404)),
    ("POST", "/admin/listings/{listing}/take-down", ADMIN_ONLY | {"admin": 302}),
    # Restoring a listing that is not taken down: refused with a message for the admin.
    ("POST", "/admin/listings/{listing}/restore", ADMIN_ONLY | {"admin": 302}),
    ("GET", "/admin/categories", ADMIN_ONLY),
    ("POST", "/admin/categories/{category}", ADMIN_ONLY | {"admin": 302}),
    # The platform's own bank account (commission invoices are paid to it); an empty form is
    # refused next to its fields.
    ("GET", "/admin/platform-account", ADMIN_ONLY),
    ("POST", "/admin/platform-account", ADMIN_ONLY | {"admin": 422}),
    # Billing last month's platform fees (nothing to bill here): back to the payouts page.
    ("POST", "/admin/commission/bill", ADMIN_ONLY | {"admin": 302}),
    # Trade fairs: the organiser's pages are private to it (404 for everyone else).
    ("GET", "/orgs/{organiser_org}/fairs", ORGANISER_ONLY),
    ("GET", "/orgs/{organiser_org}/fairs/new", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/manage", ORGANISER_ONLY),
    # Empty forms: refused with messages next to the fields.
    ("POST", "/fairs/{fair}/booth-types", ORGANISER_ONLY | {"organiser": 422}),
    # The old "add a row" form: what is refused is said on the floor plan page.
    ("POST", "/fairs/{fair}/rows", ORGANISER_ONLY | {"organiser": 302}),
    # Editing: a form without the version it was opened at is refused next to its fields.
    ("GET", "/fairs/{fair}/edit", ORGANISER_ONLY),
    ("POST", "/fairs/{fair}/edit", ORGANISER_ONLY | {"organiser": 422}),
    ("GET", "/booth-types/{booth_type}/edit", ORGANISER_ONLY),
    ("POST", "/booth-types/{booth_type}/edit", ORGANISER_ONLY | {"organiser": 422}),
    ("GET", "/booth-types/999999/edit", ORGANISER_ONLY | {"organiser": 404}),
    # The floor plan: empty forms are refused; removing nothing named is a 404.
    ("GET", "/fairs/{fair}/plan", ORGANISER_ONLY),
    ("POST", "/fairs/{fair}/plan/grid", ORGANISER_ONLY | {"organiser": 422}),
    ("POST", "/fairs/{fair}/plan/blocks", ORGANISER_ONLY | {"organiser": 422}),
    ("POST", "/fairs/{fair}/plan/features", ORGANISER_ONLY | {"organiser": 422}),
    ("POST", "/fairs/{fair}/plan/remove", ORGANISER_ONLY | {"organiser": 404}),
    ("POST", "/fairs/{fair}/cancel", ORGANISER_ONLY | {"organiser": 422}),
    # Already published / "approve" is no review action: refused with a message.
    ("POST", "/fairs/{fair}/publish", ORGANISER_ONLY | {"organiser": 302}),
    ("POST", "/fair-applications/{application}/review", ORGANISER_ONLY | {"organiser": 302}),
    # Reviewing with the co-op in view, and many at once ("approve" is no decision: 422).
    ("GET", "/fair-applications/{application}", ORGANISER_ONLY),
    ("POST", "/fair-applications/{application}/decide", ORGANISER_ONLY | {"organiser": 422}),
    ("GET", "/fairs/{fair}/applications", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/applications?status=nonsense&type=x", ORGANISER_ONLY),
    ("POST", "/fairs/{fair}/applications/decide", ORGANISER_ONLY | {"organiser": 422}),
    # Check-in moved to the gate page; an old badge link leads to the badge's gate page.
    ("GET", "/fairs/{fair}/check-in", dict.fromkeys(USERS, 301) | {"anonymous": 302}),
    ("GET", "/fairs/{fair}/badge/{lot}", dict.fromkeys(USERS, 301) | {"anonymous": 302}),
    ("POST", "/fairs/{fair}/check-in", dict.fromkeys(USERS, 405)),
    # The gate: its page, a badge's page (a lot code is no badge: 404, nothing changes), a scan
    # (an empty typed code is answered "unknown" and recorded), attendance, the badge sheet.
    ("GET", "/fairs/{fair}/gate", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/gate/{lot}", ORGANISER_ONLY | {"organiser": 404}),
    ("POST", "/fairs/{fair}/gate/scan", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/attendance", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/attendance.csv", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/badges.pdf", ORGANISER_ONLY),
    ("GET", "/fairs/{fair}/export/exhibitors.csv", ORGANISER_ONLY),
    # A booth fee's invoice and "fee received" exist once the application is accepted (the
    # matrix's is not: 404 for all; tests/test_fair_fees.py covers the accepted one).
    ("GET", "/fair-applications/{application}/fee-invoice.pdf", FEE_INVOICE),
    ("POST", "/fair-applications/{application}/fee-received", FEE_RECEIVED),
    ("GET", "/fairs/{fair}/dashboard", ORGANISER_ONLY),
    ("GET", "/orgs/{org}/fairs/{fair}/apply", MEMBERS_ONLY | {"coop_staff": 403}),
    ("GET", "/orgs/{org}/fair-applications", MEMBERS_ONLY),
    # The application belongs to another co-op.
    (
        "POST",
        "/orgs/{org}/fair-applications/{application}/withdraw",
        MANAGERS_ONLY | {"coop_owner": 404},
    ),
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/edit",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    # The old badge link leads to the badges page (which answers for itself, below).
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/badge",
        dict.fromkeys(USERS, 301) | {"anonymous": 302},
    ),
    # Badges of another co-op's application (not yet accepted, either): nobody's to see.
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/badges",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    (
        "POST",
        "/orgs/{org}/fair-applications/{application}/badges",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    (
        "GET",
        "/orgs/{org}/fair-applications/{application}/badges.pdf",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    (
        "GET",
        "/orgs/{org}/badges/999999/edit",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    (
        "POST",
        "/orgs/{org}/badges/999999/revoke",
        MEMBERS_ONLY | {"coop_owner": 404, "coop_staff": 404},
    ),
    # Messages: everyone logged in has an inbox; a draft co-op is written to by nobody.
    ("GET", "/messages", LOGGED_IN_OK),
    ("GET", "/messages/999999", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("GET", "/orgs/{org}/message", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("POST", "/orgs/{org}/message", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("GET", "/notifications", LOGGED_IN_OK),
    ("POST", "/notifications/read", dict.fromkeys(USERS, 302)),
    # Someone else's notice, or none: 404 (opening one of one's own: tests/test_notifications.py).
    ("POST", "/notifications/999999/open", dict.fromkeys(USERS, 404) | {"anonymous": 302}),
    ("GET", "/fairs", dict.fromkeys(USERS, 200)),
    ("GET", "/fairs/{fair_slug}", dict.fromkeys(USERS, 200)),
    ("POST", "/logout", dict.fromkeys(USERS, 302)),
    ("POST", "/lang", dict.fromkeys(USERS, 302)),
    ("GET", "/api/v1/openapi.json", dict.fromkeys(USERS, 200)),
    ("GET", "/api/v1/guide", dict.fromkeys(USERS, 200)),
    # Integrations: API keys (the API itself has its own matrix, tests/api/).
    # The API's reference page is public.
    ("GET", "/api/v1/docs", dict.fromkeys(USERS, 200)),
    ("GET", "/orgs/{org}/integrations", MEMBERS_ONLY | {"coop_staff": 403}),
    # No name and no permission ticked: refused next to the fields.
    ("POST", "/orgs/{org}/integrations/keys", MANAGERS_ONLY | {"coop_owner": 422}),
    # Revoking a key that is not there.
    ("POST", "/orgs/{org}/integrations/keys/999999/revoke", MANAGERS_ONLY | {"coop_owner": 404}),
    # Integrations: webhooks.
    ("GET", "/orgs/{org}/webhooks", MANAGERS_ONLY | {"coop_owner": 200}),
    ("GET", "/orgs/{org}/webhooks/new", MANAGERS_ONLY | {"coop_owner": 200}),
    # No address and no event chosen: the form again, with the problems (422).
    ("POST", "/orgs/{org}/webhooks/new", MANAGERS_ONLY | {"coop_owner": 422}),
    ("GET", "/orgs/{org}/webhooks/999999", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/webhooks/999999", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/webhooks/999999/rotate", MANAGERS_ONLY | {"coop_owner": 404}),
    ("POST", "/orgs/{org}/webhooks/999999/delete", MANAGERS_ONLY | {"coop_owner": 404}),
    ("GET", "/orgs/{org}/webhooks/999999/deliveries", MANAGERS_ONLY | {"coop_owner": 404}),
    (
        "POST",
        "/orgs/{org}/webhooks/999999/deliveries/999999/send",
        MANAGERS_ONLY | {"coop_owner": 404},
    ),
]


# --- supply deals -------------------------------------------------------------------------------

DEAL_USERS = [
    "anonymous",
    "admin",
    "other_buyer",
    "other_coop",
    "buyer_staff",
    "coop_staff",
    "coop",
    "buyer",
]

OUTSIDERS = {"anonymous": 302, "admin": 404, "other_buyer": 404, "other_coop": 404}
PARTIES_SEE = OUTSIDERS | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 200)
BUYER_SEES = OUTSIDERS | {"buyer": 200, "buyer_staff": 200, "coop": 404, "coop_staff": 404}
COOP_SEES = OUTSIDERS | {"buyer": 404, "buyer_staff": 404, "coop": 200, "coop_staff": 200}
#: Managers decide (the status they get is given per row); staff get 403.
STAFF_403 = {"buyer_staff": 403, "coop_staff": 403}
#: The buyer's own actions: the co-op's people are outsiders to them.
BUYER_ONLY = {"buyer_staff": 403, "coop": 404, "coop_staff": 404}
DEAL_ROUTES = [
    ("GET", "/orgs/{org}/trade", BUYER_SEES),
    ("GET", "/orgs/{coop_org}/trade", COOP_SEES),
    ("GET", "/orgs/{org}/rfqs/new", BUYER_SEES | {"buyer_staff": 403}),
    # Sends a buyer's manager to its request form; tells everyone else who may ask.
    ("GET", "/listings/{listing}/request-quote", dict.fromkeys(DEAL_USERS, 302)),
    (
        "GET",
        "/listings/{listing}/order",
        dict.fromkeys(DEAL_USERS, 302) | {"buyer": 200, "other_buyer": 200},
    ),
    ("GET", "/rfqs/{rfq}", PARTIES_SEE),
    # The co-op has quoted already: sent to its negotiation. The buyer does not quote.
    (
        "GET",
        "/rfqs/{rfq}/quote",
        PARTIES_SEE | {"coop": 302, "coop_staff": 302, "buyer": 404, "buyer_staff": 404},
    ),
    ("POST", "/rfqs/{rfq}/cancel", OUTSIDERS | BUYER_ONLY | {"buyer": 302}),
    # Nothing chosen: refused with a message.
    ("POST", "/rfqs/{rfq}/award", OUTSIDERS | BUYER_ONLY | {"buyer": 302}),
    ("GET", "/quotes/{quote}", PARTIES_SEE),
    # An empty version is refused next to the fields.
    ("POST", "/quotes/{quote}/versions", OUTSIDERS | STAFF_403 | {"coop": 422, "buyer": 422}),
    (
        "POST",
        "/quotes/{quote}/messages",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 422),
    ),
    ("POST", "/quotes/{quote}/withdraw", OUTSIDERS | STAFF_403 | {"buyer": 403, "coop": 302}),
    # No counter-offer to accept (and no page version): refused with a message.
    (
        "POST",
        "/quotes/{quote}/accept-counter",
        OUTSIDERS | STAFF_403 | {"buyer": 403, "coop": 302},
    ),
    (
        "GET",
        "/quotes/{quote}/files/{attachment}",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 302),
    ),
    ("GET", "/contracts/{contract}", PARTIES_SEE),
    ("GET", "/contracts/{contract}/print", PARTIES_SEE),
    # Already active: refused with a message.
    ("POST", "/contracts/{contract}/sign", OUTSIDERS | STAFF_403 | {"coop": 302, "buyer": 302}),
    ("POST", "/contracts/{contract}/cancel", OUTSIDERS | STAFF_403 | {"coop": 422, "buyer": 422}),
    ("POST", "/contracts/{contract}/notice", OUTSIDERS | STAFF_403 | {"coop": 422, "buyer": 422}),
    ("GET", "/contracts/{contract}/amend", PARTIES_SEE | STAFF_403),
    # The buyer proposed it: only the co-op may accept (without the page's version: refused).
    (
        "POST",
        "/contracts/{contract}/amendments/{amendment}/accept",
        OUTSIDERS | STAFF_403 | {"buyer": 403, "coop": 302},
    ),
    ("GET", "/orgs/{org}/deliveries", BUYER_SEES),
    ("GET", "/deliveries/{planned}", PARTIES_SEE),
    ("GET", "/deliveries/{received}", PARTIES_SEE),
    # Empty quantities: refused next to the fields; the other side has no such form.
    (
        "POST",
        "/deliveries/{planned}/dispatch",
        OUTSIDERS | {"buyer": 404, "buyer_staff": 404, "coop": 422, "coop_staff": 422},
    ),
    (
        "POST",
        "/deliveries/{received}/receive",
        OUTSIDERS | {"buyer": 422, "buyer_staff": 422, "coop": 404, "coop_staff": 404},
    ),
    (
        "GET",
        "/deliveries/{received}/photos/{line}/0",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 302),
    ),
    ("GET", "/orgs/{org}/invoices", BUYER_SEES),
    ("GET", "/invoices/{invoice}", PARTIES_SEE),
    ("POST", "/invoices/{invoice}/void", OUTSIDERS | STAFF_403 | {"buyer": 403, "coop": 422}),
    # Documents as PDF: whoever sees the page they belong to.
    ("GET", "/invoices/{invoice}/pdf", PARTIES_SEE),
    ("GET", "/contracts/{contract}/pdf", PARTIES_SEE),
    ("GET", "/deliveries/{received}/pdf", PARTIES_SEE),
    # Nothing dispatched yet: no delivery note.
    ("GET", "/deliveries/{planned}/pdf", OUTSIDERS | dict.fromkeys(DEAL_USERS[4:], 404)),
    # A payment's receipt: whoever sees the pay page, once the payment has succeeded.
    ("GET", "/payments/{paid}/receipt", PARTIES_SEE | {"admin": 200}),
    ("GET", "/payments/{payment}/receipt", OUTSIDERS | dict.fromkeys(DEAL_USERS[4:], 404)),
    # Payments: the payer, the payee and admins see a payable; the payer's managers pay it;
    # the payee's managers (and admins) record transfers and refund.
    ("GET", "/pay/invoice/{invoice}", PARTIES_SEE | {"admin": 200}),
    (
        "POST",
        "/pay/invoice/{invoice}/card",
        OUTSIDERS | STAFF_403 | {"admin": 403, "coop": 403, "buyer": 303},
    ),
    (
        "POST",
        "/pay/invoice/{invoice}/transfer",
        OUTSIDERS | STAFF_403 | {"admin": 422, "buyer": 403, "coop": 422},
    ),
    ("GET", "/payments/{payment}/done", PARTIES_SEE | {"admin": 200}),
    (
        "GET",
        "/payments/{payment}/cancelled",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff", "admin"), 302),
    ),
    (
        "POST",
        "/payments/{payment}/refund",
        OUTSIDERS
        | {"admin": 422, "buyer": 404, "buyer_staff": 404, "coop_staff": 403, "coop": 422},
    ),
    # A card payment is refunded, not reversed: refused with a message.
    (
        "POST",
        "/payments/{payment}/reverse",
        PARTIES_SEE
        | {"admin": 302, "buyer": 403, "buyer_staff": 403, "coop_staff": 403, "coop": 302},
    ),
    # The VietQR code as a PNG to save: whoever sees the pay page.
    ("GET", "/pay/invoice/{invoice}/vietqr.png", PARTIES_SEE | {"admin": 200}),
    # "I have transferred": the payer's members; a claim awaits already (refused, kept page).
    (
        "POST",
        "/pay/invoice/{invoice}/transferred",
        OUTSIDERS
        | {"admin": 403, "coop": 403, "coop_staff": 403, "buyer": 422, "buyer_staff": 422},
    ),
    # The payee has a bank account: refused with a message (and a redirect).
    (
        "POST",
        "/pay/invoice/{invoice}/ask-bank-account",
        OUTSIDERS
        | {"admin": 403, "coop": 403, "coop_staff": 403, "buyer": 302, "buyer_staff": 302},
    ),
    ("GET", "/transfer-claims/{claim}", PARTIES_SEE | {"admin": 200}),
    # No receipt photo was sent with it.
    ("GET", "/transfer-claims/{claim}/receipt", OUTSIDERS | dict.fromkeys(DEAL_USERS[4:], 404)),
    # The payee's managers and admins answer; an empty form is refused next to its fields.
    (
        "POST",
        "/transfer-claims/{claim}/confirm",
        OUTSIDERS | STAFF_403 | {"admin": 422, "buyer": 403, "coop": 422},
    ),
    (
        "POST",
        "/transfer-claims/{claim}/not-arrived",
        OUTSIDERS | STAFF_403 | {"admin": 422, "buyer": 403, "coop": 422},
    ),
    # The payer's members take it back (the second time: already answered, a message).
    (
        "POST",
        "/transfer-claims/{claim}/withdraw",
        OUTSIDERS
        | {"admin": 403, "coop": 403, "coop_staff": 403, "buyer": 302, "buyer_staff": 302},
    ),
    ("POST", "/stripe/webhook", dict.fromkeys(DEAL_USERS, 400)),
    ("GET", "/orgs/{org}/bank-account", BUYER_SEES | {"buyer_staff": 403}),
    ("GET", "/orgs/{org}/statement", BUYER_SEES | {"admin": 200}),
    ("GET", "/orgs/{org}/bank-statements", BUYER_SEES | {"buyer_staff": 403, "admin": 200}),
    ("GET", "/bank-statements/{statement}", BUYER_SEES | {"buyer_staff": 403, "admin": 200}),
    # Nothing in it matches: refused with a message.
    (
        "POST",
        "/bank-statements/{statement}/apply",
        BUYER_SEES | {"buyer_staff": 403, "admin": 302, "buyer": 302},
    ),
    ("GET", "/admin/payouts", dict.fromkeys(DEAL_USERS, 403) | {"anonymous": 302, "admin": 200}),
    # The co-op's platform fee invoice: its owners and managers and admins see it; its pay
    # page is the payer's (any member) and the admins'; only admins record a transfer to the
    # platform (an empty form is refused next to its fields).
    ("GET", "/commission/{commission}", COOP_SEES | {"admin": 200, "coop_staff": 403}),
    ("GET", "/pay/commission/{commission}", COOP_SEES | {"admin": 200}),
    (
        "POST",
        "/pay/commission/{commission}/transfer",
        COOP_SEES | {"admin": 422, "coop": 403, "coop_staff": 403},
    ),
    (
        "POST",
        "/admin/payouts/{coop_org}",
        dict.fromkeys(DEAL_USERS, 403) | {"anonymous": 302, "admin": 302},
    ),
    # Messages. The first one to a verified co-op: anyone logged in may open the page (without a
    # verified organisation it says what is missing); the co-op's own people are sent to their
    # inbox; an empty message is refused beside its field (nobody to write for: 403).
    ("GET", "/messages", dict.fromkeys(DEAL_USERS, 200) | {"anonymous": 302}),
    (
        "GET",
        "/orgs/{coop_org}/message",
        dict.fromkeys(DEAL_USERS, 200) | {"anonymous": 302, "coop": 302, "coop_staff": 302},
    ),
    (
        "POST",
        "/orgs/{coop_org}/message",
        dict.fromkeys(DEAL_USERS, 422)
        | {"anonymous": 302, "admin": 403, "coop": 302, "coop_staff": 302},
    ),
    # A buyer is not written to from a page.
    ("GET", "/orgs/{org}/message", dict.fromkeys(DEAL_USERS, 404) | {"anonymous": 302}),
    # A conversation is its two organisations' members' only (an empty reply is refused).
    ("GET", "/messages/{conversation}", PARTIES_SEE),
    (
        "POST",
        "/messages/{conversation}",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 422),
    ),
    (
        "POST",
        "/messages/{conversation}/read",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 303),
    ),
    (
        "GET",
        "/messages/{conversation}/files/{message_file}",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 302),
    ),
    # The threads of a contract, a delivery and an invoice: the deal's parties.
    ("GET", "/contracts/{contract}/messages", PARTIES_SEE),
    (
        "POST",
        "/contracts/{contract}/messages",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 422),
    ),
    ("GET", "/deliveries/{received}/messages", PARTIES_SEE),
    (
        "POST",
        "/deliveries/{received}/messages",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 422),
    ),
    ("GET", "/invoices/{invoice}/messages", PARTIES_SEE),
    (
        "POST",
        "/invoices/{invoice}/messages",
        PARTIES_SEE | dict.fromkeys(("buyer", "buyer_staff", "coop", "coop_staff"), 422),
    ),
]
