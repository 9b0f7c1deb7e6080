"""`hipdrive-app [STREAMLIT OPTIONS]`: start the app of an installed HipDrive
(`pip install hipdrive` gives this command; in a checkout, `scripts/run-app.sh`)."""

from __future__ import annotations

import sys
from pathlib import Path

ENTRY_SCRIPT = Path(__file__).resolve().parent / "streamlit_app.py"


def streamlit_argv(options: list[str]) -> list[str]:
    """The `streamlit run` command line for the installed entry script."""
    return ["streamlit", "run", str(ENTRY_SCRIPT), *options]


def main() -> None:
    from streamlit.web import cli

    sys.argv = streamlit_argv(sys.argv[1:])
    sys.exit(cli.main())
