"""Console scripts of this environment: the server's own and oumi's.

The script beside the running interpreter wins over PATH: it belongs to the same environment (a
virtualenv that was never activated), where PATH may lead to another installation.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SERVER_SCRIPT = "oumi-mcp-server"
RUN_SERVER_CLI = ("-c", "from oumi_mcp_server.cli.main import main; main()")
"""`python <these>` runs the server's CLI where its console script is not installed."""


def beside_interpreter(name: str) -> Path | None:
    path = Path(sys.executable).parent / (name + (".exe" if os.name == "nt" else ""))
    return path if path.is_file() else None


def find_script(name: str) -> str | None:
    """`name` beside this interpreter, else on PATH; None when neither has it."""
    beside = beside_interpreter(name)
    return str(beside) if beside is not None else shutil.which(name)


def server_argv(*args: str) -> list[str]:
    """`oumi-mcp-server <args>` of this environment, to start the server as a subprocess."""
    script = beside_interpreter(SERVER_SCRIPT)
    base = [str(script)] if script is not None else [sys.executable, *RUN_SERVER_CLI]
    return [*base, *args]
