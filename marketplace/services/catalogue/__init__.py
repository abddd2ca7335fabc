"""What co-ops sell: listings with price tiers, photos and lots, CSV import/export, the
category tree, and product search."""
