"""chains-build: Docker build contexts, servers and manifests from a chain model.

Not built yet; see the project's issues.
"""
