"""``chains-run``: run a chain file, each chainlet as its own local process or all in one.

``cli`` parses the command line and maps outcomes to exit codes; ``discovery`` imports the
chain file and finds the entrypoint and the chainlets it reaches; ``inputs`` and
``secret_values`` read what the user passes in; ``processes`` starts, watches and stops
chainlet processes (``lifeline`` is their side: they end with ``chains-run``); ``launcher``
wires them and calls the entrypoint over HTTP; ``in_process`` runs the chain through
``run_local``; ``output`` writes results to stdout and reports to stderr.
"""
