"""Search: Vietnamese text folding (backends and the indexing outbox come with the catalogue)."""
