"""``chains-run PATH``: run a chain file locally and print the entrypoint's result.

Exit codes: 0 success; 1 the chain failed (a chainlet raised or did not start, a timeout);
2 a usage error (flags, PATH, ``--input``, ``--secret``, no entrypoint); 128+N when a run is
stopped by signal N (130 for Ctrl-C); with ``--serve``, 0 after SIGTERM / SIGINT (its normal
end). stdout carries only the result, one compact JSON line per result (per item for a
streaming ``run_remote``); progress and errors go to stderr.

Values stay off command lines, which every local user can read: ``--secret KEY`` reads the
environment variable ``KEY`` and the API key comes from ``CHAINS_API_KEY``; the inline forms
(``--secret KEY=VALUE``, ``--api-key KEY``) work but warn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chains_runtime.contract import API_KEY_ENV
from chains_runtime.errors import ChainsUsageError
from chains_runtime.model_base import endpoint_name
from chains_runtime.run.discovery import Chain, discover_chain
from chains_runtime.run.in_process import (
    CallTimeoutError,
    ChainletFailure,
    run_in_process,
    shared_data_dir,
)
from chains_runtime.run.inputs import CallInput, parse_input, read_input_text
from chains_runtime.run.launcher import LaunchOptions, ServeAddress, run_chain, serve_chain
from chains_runtime.run.local_weights import LocalWeightsError, chain_weights, fetch_weights
from chains_runtime.run.output import (
    OutputClosedError,
    Reporter,
    ResultChannel,
    UnprintableItemError,
)
from chains_runtime.run.processes import PortError
from chains_runtime.run.secret_values import (
    Redactor,
    collect_secrets,
    inline_secret_warnings,
    secret_variables,
    secret_warnings,
)
from chains_runtime.server.limits import SETTINGS, add_limit_arguments, limits_argv
from chains_runtime.server.websocket import WEBSOCKET_PATH
from chains_runtime.websocket import is_websocket_chainlet
from chains_runtime.weights import WeightsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SIGINT = 128 + signal.SIGINT

DEFAULT_STARTUP_TIMEOUT_SEC = 60.0
DEFAULT_SERVE_PORT = 8080


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chains-run",
        description=(
            "Run a chain file locally: each chainlet as its own HTTP server process (default) "
            "or all in this process (--in-process), call the entrypoint once and print its "
            "result as JSON on stdout; or keep the chain serving (--serve)."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="the chain file (.py)")
    parser.add_argument(
        "--input",
        metavar="JSON",
        help="the entrypoint's run_remote (a model's predict) arguments as a JSON object by "
        "name; "
        "@FILE reads a file, - reads stdin (default: {})",
    )
    parser.add_argument(
        "--in-process", action="store_true", help="run every chainlet in this process (no HTTP)"
    )
    parser.add_argument(
        "--serve", action="store_true", help="keep the chain up, serving the entrypoint"
    )
    parser.add_argument(
        "--port",
        type=_port,
        help=f"with --serve: the entrypoint's port (default {DEFAULT_SERVE_PORT}; 0 picks one)",
    )
    parser.add_argument("--host", help="with --serve: the entrypoint's address (127.0.0.1)")
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"with --serve: callers of the entrypoint must send it (default: ${API_KEY_ENV}); "
        "visible to other local users on the command line: prefer the variable",
    )
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="KEY",
        help="a secret (repeatable), its value from the environment variable KEY; each "
        "chainlet sees only the keys it declares. KEY=VALUE also works, but other local "
        "users can read a command line",
    )
    parser.add_argument(
        "--secrets-dir", type=Path, metavar="DIR", help="a folder with one file per secret"
    )
    parser.add_argument(
        "--entrypoint", metavar="NAME", help="the chainlet class to call (default: the marked one)"
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SEC",
        help="fail if the call takes longer (default: no limit)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=_positive_seconds,
        metavar="SEC",
        help=f"fail if a chainlet is not ready by then (default {DEFAULT_STARTUP_TIMEOUT_SEC:g})",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="copy the chainlets' logs to stderr"
    )
    add_limit_arguments(parser)  # passed on to every chainlet server
    return parser


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.serve:
        if args.in_process:
            parser.error("--serve and --in-process cannot be combined")
        if args.input is not None:
            parser.error("--input is not allowed with --serve: callers send the arguments")
        if args.timeout is not None:
            parser.error("--timeout applies to the one call of a run, not to --serve")
    else:
        serve_only = {"--port": args.port, "--host": args.host, "--api-key": args.api_key}
        for flag, value in serve_only.items():
            if value is not None:
                parser.error(f"{flag} only applies with --serve")
    if args.in_process and args.startup_timeout is not None:
        parser.error("--startup-timeout does not apply to --in-process (nothing starts)")
    if args.in_process:
        for setting in SETTINGS:
            if getattr(args, setting.field) is not None:
                parser.error(
                    f"{setting.flag} applies to served chainlets only, not to --in-process"
                )


def _prepare(
    args: argparse.Namespace, reporter: Reporter
) -> tuple[Chain, dict[str, str], CallInput | None]:
    """Everything a usage error can come from, checked before anything runs."""
    for warning in inline_secret_warnings(args.secret, api_key_given=args.api_key is not None):
        reporter.warning(warning)
    chain = discover_chain(Path(args.path), args.entrypoint)
    secret_values = collect_secrets(args.secret, args.secrets_dir)
    for warning in secret_warnings(chain.chainlets, secret_values):
        reporter.warning(warning)
    call_input = None
    if not args.serve and is_websocket_chainlet(chain.entrypoint):
        raise ChainsUsageError(
            f"`{chain.entrypoint.__name__}.{endpoint_name(chain.entrypoint)}` takes a websocket, "
            f"which a one-call run cannot drive: start the chain with `chains-run {args.path} "
            "--serve` and connect a websocket client to "
            f"ws://127.0.0.1:{DEFAULT_SERVE_PORT}{WEBSOCKET_PATH}"
        )
    if not args.serve:
        text, source = read_input_text(args.input, sys.stdin)
        call_input = parse_input(text, source, chain.entrypoint)
    if args.in_process:
        shared_data_dir(chain)
    return chain, secret_values, call_input


def _run_in_process(
    chain: Chain,
    call_input: CallInput,
    secret_values: dict[str, str],
    timeout: float | None,
    results: ResultChannel,
    reporter: Reporter,
) -> int:
    try:
        run_in_process(chain, call_input, secret_values, results.write, timeout)
    except ChainletFailure as failure:
        if failure.during_init:
            reporter.error(
                f"chainlet `{failure.chainlet}` failed in __init__: "
                f"{failure.type}: {failure.message}"
            )
            reporter.block(f"traceback of `{failure.chainlet}`", failure.traceback)
        else:
            reporter.chainlet_failed(
                failure.chainlet, failure.type, failure.message, failure.traceback
            )
        return EXIT_FAILED
    except (CallTimeoutError, OutputClosedError, UnprintableItemError) as exc:
        reporter.error(str(exc))
        return EXIT_FAILED
    return EXIT_OK


def _fetch_weights(
    chain: Chain, items: list[dict[str, Any]], secret_values: dict[str, str], reporter: Reporter
) -> int | None:
    """Declared weights, fetched before anything starts (see ``local_weights``); None when
    they are all there, else the exit code after saying what failed."""
    reporter.progress(f"weights: checking {len(items)} declared source(s)")
    try:
        fetched = fetch_weights(items, secret_values, chain.chainlets)
    except LocalWeightsError as exc:
        reporter.error(str(exc))
        return EXIT_USAGE
    except WeightsError as exc:
        reporter.error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_SIGINT
    for target in fetched:
        reporter.progress(f"weights: fetched into {target}")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    api_key: str | None = args.api_key
    if args.serve and not api_key:
        api_key = os.environ.get(API_KEY_ENV) or None
    with ResultChannel() as results:
        reporter = Reporter(Redactor([api_key] if api_key else []))
        try:
            chain, secret_values, call_input = _prepare(args, reporter)
            server_argv = tuple(limits_argv(args, os.environ))
            weights = chain_weights(chain.chainlets)
        except ChainsUsageError as exc:
            reporter.error(str(exc))
            return EXIT_USAGE
        except KeyboardInterrupt:
            return EXIT_SIGINT
        hidden = [*secret_values.values(), *([api_key] if api_key else [])]
        reporter = Reporter(Redactor(hidden))
        if weights:
            failed = _fetch_weights(chain, weights, secret_values, reporter)
            if failed is not None:
                return failed
        try:
            if args.in_process:
                assert call_input is not None
                return _run_in_process(
                    chain, call_input, secret_values, args.timeout, results, reporter
                )
            options = LaunchOptions(
                startup_timeout=args.startup_timeout or DEFAULT_STARTUP_TIMEOUT_SEC,
                verbose=args.verbose,
                serve=ServeAddress(
                    host=args.host or "127.0.0.1",
                    port=DEFAULT_SERVE_PORT if args.port is None else args.port,
                    api_key=api_key,
                )
                if args.serve
                else None,
                private_env=secret_variables(args.secret),
                server_argv=server_argv,
            )
            if args.serve:
                return asyncio.run(serve_chain(chain, secret_values, options, reporter))
            assert call_input is not None
            return asyncio.run(
                run_chain(
                    chain, call_input, secret_values, options, reporter, results.write, args.timeout
                )
            )
        except PortError as exc:
            reporter.error(f"{exc}; choose another --port")
            return EXIT_USAGE
        except KeyboardInterrupt:
            reporter.error("interrupted by SIGINT")
            return EXIT_SIGINT


if __name__ == "__main__":
    sys.exit(main())
