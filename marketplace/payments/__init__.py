"""Payment providers: Stripe (cards) and VietQR (bank transfer); the ledger lives in services."""
