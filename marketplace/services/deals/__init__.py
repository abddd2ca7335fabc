"""Supply deals: requests for quotes and their negotiation, contracts (signatures,
amendments, notice, spot orders), deliveries, invoices; ``rules`` holds what they share
(the parties of a deal, the delivery calendar, VAT arithmetic)."""
