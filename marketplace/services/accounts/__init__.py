"""People and organisations: accounts, memberships and invitations, organisation profiles,
verification by the platform and certificates (OCOP, VietGAP…)."""
