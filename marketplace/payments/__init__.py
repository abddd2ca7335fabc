"""Payment providers: the card provider protocol (``base``) with Stripe as its implementation,
and VietQR (bank transfer); the payment services and the ledger live in services."""
