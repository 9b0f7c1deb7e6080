"""`hipdrive-app [STREAMLIT OPTIONS]`: start the app of an installed HipDrive
(`pip install hipdrive` gives this command; in a checkout, `scripts/run-app.sh`).

`streamlit run` reads `.streamlit/config.toml` only from the working folder and the
user's home, so an installed app would run with Streamlit's defaults (usage statistics
sent, tracebacks shown to runners, the Deploy button). The wheel ships the checkout's
config as `ui/streamlit_config.toml`; its settings are passed as command-line options,
ahead of the user's own (which win)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ENTRY_SCRIPT = Path(__file__).resolve().parent / "streamlit_app.py"
CONFIG_FILES = (Path(__file__).resolve().parent / "streamlit_config.toml",  # installed
                Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml")  # checkout


def config_options() -> list[str]:
    """The shipped Streamlit settings as `--section.option=value` options."""
    path = next((p for p in CONFIG_FILES if p.is_file()), None)
    if path is None:
        return []
    options = []
    for section, values in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for name, value in values.items():
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            options.append(f"--{section}.{name}={shown}")
    return options


def streamlit_argv(options: list[str]) -> list[str]:
    """The `streamlit run` command line for the installed entry script."""
    return ["streamlit", "run", str(ENTRY_SCRIPT), *config_options(), *options]


def main() -> None:
    from streamlit.web import cli

    sys.argv = streamlit_argv(sys.argv[1:])
    sys.exit(cli.main())
