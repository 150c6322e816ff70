"""The multi-file example's local package: types, a shared text helper, and chainlets."""
