"""Lint rules. Each module holds one group of checks; ``registry`` lists them all."""
