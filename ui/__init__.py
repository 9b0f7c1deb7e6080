"""Streamlit-side helpers of the HipDrive app (the engine, `gait/`, never imports these).

- `state`    per-session results (session isolation lives here)
- `service`  the content-keyed, process-wide analysis cache and worker pool around
             `gait.pipeline`
- `sample`   the built-in synthetic sample clip
- `paths`    the data folder (`HIPDRIVE_DATA_DIR`)
- `inputs`   parsing of the optional inputs (speed or pace, height, capture rate)
- `text`     labels, number formatting, headline cards, tables (pure, no Streamlit)
- `figures`  pure Plotly figure builders
- `widgets`  Streamlit rendering helpers shared by the pages
"""
