"""Money: the payables registry (``payables``) that invoices and fair fees register with,
card payments and webhooks, bank transfers, refunds, payouts, balances, bank statements and
the double-entry ledger. Nothing here branches on the kind of payable."""
