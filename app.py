"""HipDrive app, run from a checkout: `streamlit run app.py` (see ui/app_entry.py)."""

from ui.app_entry import run

run()
