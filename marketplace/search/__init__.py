"""Search: Vietnamese text folding now; backends and the indexing outbox arrive with the catalogue."""
