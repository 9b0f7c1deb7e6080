"""HipDrive app, run from an installed package (`hipdrive-app`; see ui/app_entry.py)."""

from ui.app_entry import run

run()
