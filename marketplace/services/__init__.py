"""Use cases, one function each: they take the acting user and plain values, check permission,
change state, write the audit entry and queue what goes out (``outbox``). They flush and never
commit: the edge that called them commits once (``marketplace.unit_of_work``).

Grouped by domain — ``accounts`` (people, organisations, profiles, verification, certificates),
``catalogue`` (listings, categories, search), ``deals`` (requests for quotes, contracts,
deliveries, invoices), ``fairs`` and ``payments`` (payables, cards, transfers, refunds, payouts,
balances, statements, the ledger) — over a shared kernel at this level: who acts
(``context``), who may (``permissions``), errors, state machines (``states``), row locks,
the audit log, the outbox, notifications, stored images.
"""
