"""End-to-end tests: chains built into images by chains-build and run with docker-compose."""
