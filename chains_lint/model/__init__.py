"""The chain model, extracted statically from source files with libcst."""
