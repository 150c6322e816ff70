"""chains_runtime: the SDK that chain files import, and the code chainlets run.

Only the package exists so far; the SDK is built in a later issue.
"""
