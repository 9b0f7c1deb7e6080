"""AppTest of saving and sharing as users do it: save from Results, open the share
link in a new session after an app restart, delete it, unknown links, the coach's
passcode-protected Squad page, the invite link, History with before/after, hostile
names, and the server-side upload checks. Real engine results, real SQLite store."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gait.pipeline import analyze_track
from gait.reliability import VERDICT_LABELS
from gait.result import AnalysisOptions, to_jsonable
from gait.store import Store
from gait.summary import Reliability
from synthetic.render_runner import make_clip
from synthetic.runner_model import synthesize_run, to_pose_track
from ui import state
from ui.inputs import InputError, check_upload
from ui.text import DASH

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PASSCODE = "correct horse battery staple"
HOSTILE = "<script>alert(1)</script> ![x](http://evil.example/p.png) :red[boo]"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """A fresh data folder (and so a fresh SQLite store) per test."""
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HIPDRIVE_DATABASE_URL", raising=False)
    monkeypatch.delenv("HIPDRIVE_COACH_PASSCODE", raising=False)
    return tmp_path / "data"


def store_for(data_dir: Path) -> Store:
    return Store(f"sqlite:///{data_dir / 'hipdrive.sqlite3'}", files_dir=data_dir / "files")


@pytest.fixture(scope="module")
def report():
    run = synthesize_run(fps=60, duration_s=10, direction=+1, seed=4)
    return analyze_track(to_pose_track(run, noise_px=1.0, seed=4),
                         options=AnalysisOptions(speed_mps=3.5, treadmill=True),
                         capture_fps=60.0)


def app(*, params: dict | None = None, page: str | None = None, results=()) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if results:
        at.session_state[state.RESULTS_KEY] = list(results)
    if page:
        at.switch_page(page)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "info", "warning", "success",
                                           "error", "code") for e in at.get(kind))


def restart_app() -> None:
    """What a server restart does to the app's process-wide state."""
    st.cache_resource.clear()


def test_save_from_results_then_open_the_link_after_a_restart(report, data_dir):
    result = state.make_result(report, video_path=None, file_name="run.mp4", athlete="Ana")
    at = app(results=[result], page="app_pages/results.py")
    no_exception(at)
    at.text_input(key=f"save_form_{result.id}_note").set_value("week 1")
    at.button(key=f"FormSubmitter:save_form_{result.id}-Save").click().run()
    no_exception(at)
    links = [c.value for c in at.code]
    shares = {m.group(1) for link in links
              if (m := re.search(r"/\?analysis=([A-Za-z0-9_-]{43})$", link))}
    assert len(shares) == 1  # shown at the top and in "Save and share"
    token = shares.pop()
    assert sum(bool(re.search(r"/\?athlete=[A-Za-z0-9_-]{43}$", link)) for link in links) == 1
    restart_app()
    shared = app(params={"analysis": token})
    no_exception(shared)
    assert shared.title[0].value == "Shared results"
    assert "**Runner:** Ana" in texts(shared) and "week 1" in texts(shared)
    metrics = {m.label: m.value for m in shared.metric}
    near = report.summary.near_side
    ext = report.summary.per_side[near].metrics["peak_thigh_extension_deg"]
    assert metrics["Peak thigh extension"] == f"{ext.median:.1f}° ± {ext.ci95:.1f}°"
    assert len(shared.get("plotly_chart")) == 3
    assert not shared.get("video")  # no annotated video was kept
    assert not [b for b in shared.button if b.key and b.key.startswith("FormSubmitter")]


@pytest.mark.parametrize("token", ["A" * 43, "short", "<script>", ""])
def test_unknown_or_broken_link_is_a_friendly_not_found(token):
    at = app(params={"analysis": token})
    no_exception(at)
    assert "Analysis not found" in texts(at)
    assert not at.metric


def test_delete_from_the_owners_link_needs_confirmation_and_removes_it(report, data_dir):
    store = store_for(data_dir)
    annotated = data_dir / "a.mp4"
    annotated.write_bytes(b"\x00" * 4096)
    receipt = store.save(report, athlete_name="Bo", annotated_video=annotated)
    kept = store.load(receipt.token).files["annotated_video"]
    at = app(params={"analysis": receipt.token, "delete": receipt.delete_token})
    no_exception(at)
    assert "delete" not in at.query_params  # the key leaves the address bar
    at.button(key="delete_shared").click().run()  # not before ticking "yes"
    assert "Nothing was deleted: tick" in texts(at)
    assert store.load(receipt.token) is not None and kept.exists()
    at.checkbox(key="delete_shared_sure").check().run()
    at.button(key="delete_shared").click().run()
    no_exception(at)
    assert "Deleted" in texts(at)
    assert store.load(receipt.token) is None and not kept.exists()
    again = app(params={"analysis": receipt.token})
    assert "Analysis not found" in texts(again)


def test_squad_page_is_off_without_a_passcode_and_locked_with_one(report, data_dir,
                                                                  monkeypatch):
    store_for(data_dir).save(report, athlete_name="Cleo", squad=True)
    off = app(page="app_pages/squad.py")
    no_exception(off)
    assert "HIPDRIVE_COACH_PASSCODE" in texts(off) and not off.dataframe
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    at = app(page="app_pages/squad.py")
    assert not at.dataframe and not at.code and "Cleo" not in texts(at)
    at.text_input(key="coach_passcode").set_value("wrong")
    at.button(key="FormSubmitter:coach_login-Unlock").click().run()
    no_exception(at)
    assert "not right" in texts(at) and not at.dataframe
    at.text_input(key="coach_passcode").set_value(PASSCODE)
    at.button(key="FormSubmitter:coach_login-Unlock").click().run()
    no_exception(at)
    table = at.dataframe[0].value
    assert list(table["athlete"]) == ["Cleo"]
    assert re.search(r"/\?analysis=[A-Za-z0-9_-]{43}$", table["latest analysis"].iloc[0])
    assert re.search(r"/\?invite=[A-Za-z0-9_-]{43}$", at.code[0].value)


def test_invite_link_uploads_into_the_squad(tmp_path, data_dir, monkeypatch):
    """The whole athlete path: open the invite link, upload a real clip under a name,
    and the coach sees it on the Squad page."""
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    invite = store_for(data_dir).invite_token()
    clip, _run = make_clip(tmp_path, fps=60, direction=+1, treadmill=True, seconds=6.0,
                           seed=8)
    at = app(params={"invite": invite})
    no_exception(at)
    assert "uploading into your coach's squad" in texts(at)
    at.get("file_uploader")[0].upload("run.mp4", clip.read_bytes(), "video/mp4")
    at.run()
    at.button(key="analyze").click().run()
    assert "Give your name" in texts(at)  # required with an invite
    at.text_input(key="athlete").set_value(HOSTILE)
    at.button(key="analyze").click().run(timeout=300)
    no_exception(at)
    squad = store_for(data_dir).squad()
    assert list(squad["athlete_name"]) == [HOSTILE]
    coach = app(page="app_pages/squad.py")
    coach.text_input(key="coach_passcode").set_value(PASSCODE)
    coach.button(key="FormSubmitter:coach_login-Unlock").click().run()
    assert list(coach.dataframe[0].value["athlete"]) == [HOSTILE]  # shown as plain text
    no_exception(coach)


def test_a_rotated_invite_no_longer_reaches_the_squad(data_dir):
    store = store_for(data_dir)
    old = store.invite_token()
    store.rotate_invite_token()
    at = app(params={"invite": old})
    no_exception(at)
    assert "no longer valid" in texts(at)
    assert "uploading into your coach's squad" not in texts(at)


def test_hostile_names_are_inert_in_the_app(report, data_dir):
    receipt = store_for(data_dir).save(report, athlete_name=HOSTILE, note="[click](http://x)")
    at = app(params={"analysis": receipt.token})
    no_exception(at)
    runner = next(m.value for m in at.markdown if m.value.startswith("**Runner:**"))
    assert "<script>" not in runner and "![" not in runner and ":red[" not in runner
    assert "](http" not in runner
    assert r"\<script\>" in runner  # escaped: shown literally, never run or fetched


def test_history_shows_trends_and_compares_before_and_after(report, data_dir):
    store = store_for(data_dir)
    first = store.save(report, athlete_name="Dana", recorded_on=date(2026, 1, 5),
                       note="before")
    store.save(report, athlete_token=first.athlete_token, recorded_on=date(2026, 2, 5))
    last = store.save(report, athlete_token=first.athlete_token,
                      recorded_on=date(2026, 3, 5), note="after")
    at = app(params={"athlete": first.athlete_token})
    no_exception(at)
    assert at.title[0].value == "History"
    assert "### Dana" in texts(at)
    assert len(at.get("plotly_chart")) == 3
    table = at.dataframe[0].value
    assert list(table["filmed on"]) == ["2026-03-05", "2026-02-05", "2026-01-05"]
    assert table["open"].iloc[0].endswith(f"/?analysis={last.token}")
    assert at.selectbox(key="history_a").value == first.token
    assert at.selectbox(key="history_b").value == last.token
    at.button(key="history_compare").click().run()
    no_exception(at)
    kept = at.session_state[state.RESULTS_KEY]
    # the notes come along: two runs filmed the same day stay apart in Compare
    assert len(kept) == 2 and {r.label for r in kept} == {"Dana · 2026-01-05 · before",
                                                          "Dana · 2026-03-05 · after"}
    assert at.title[0].value == "Compare two runs"


def test_the_coach_compares_two_athletes_latest_analyses(report, data_dir, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    store = store_for(data_dir)
    store.save(report, athlete_name="Cleo", squad=True, recorded_on=date(2026, 1, 5))
    store.save(report, athlete_name="Dev", squad=True, recorded_on=date(2026, 2, 5))
    at = app(page="app_pages/squad.py")
    at.text_input(key="coach_passcode").set_value(PASSCODE)
    at.button(key="FormSubmitter:coach_login-Unlock").click().run()
    no_exception(at)
    assert at.selectbox(key="squad_a").value != at.selectbox(key="squad_b").value
    at.button(key="squad_compare").click().run()
    no_exception(at)
    assert at.title[0].value == "Compare two runs"
    kept = at.session_state[state.RESULTS_KEY]
    assert {r.athlete for r in kept} == {"Cleo", "Dev"}


def test_an_analysis_saved_before_the_verdict_existed_opens_with_one(report, data_dir):
    store = store_for(data_dir)
    receipt = store.save(report, athlete_name="Old run")
    # as an analysis saved before the verdict existed: its summary.json (version 1, no
    # schema_version) without "reliability"
    old = {k: v for k, v in report.summary.as_json().items()
           if k not in ("reliability", "schema_version")}
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE analyses SET summary_json = ?",
                             (json.dumps(to_jsonable(old)),))
    at = app(params={"analysis": receipt.token})
    no_exception(at)
    verdict = report.summary.reliability.verdict
    banners = [e.value for kind in ("success", "warning", "error") for e in at.get(kind)]
    assert any(b.startswith(f"**{VERDICT_LABELS[verdict]}**") for b in banners)
    assert at.metric


def test_history_and_squad_tables_say_when_an_analysis_is_not_reliable(report, data_dir):
    unreliable = dataclasses.replace(report, summary=dataclasses.replace(
        report.summary, reliability=Reliability(verdict="not_reliable", reasons=())))
    store = store_for(data_dir)
    first = store.save(report, athlete_name="Eve", recorded_on=date(2026, 1, 5))
    store.save(unreliable, athlete_token=first.athlete_token, recorded_on=date(2026, 2, 5))
    at = app(params={"athlete": first.athlete_token})
    no_exception(at)
    flags = list(at.dataframe[0].value["flags"])
    assert flags[0].startswith("NOT RELIABLE") and "NOT RELIABLE" not in flags[1]
    assert at.dataframe[0].proto.placeholder == DASH  # a missing figure: a dash, not "None"


def test_history_without_a_link_explains_how_to_get_one():
    at = app(page="app_pages/history.py")
    no_exception(at)
    assert "history link" in texts(at)


def test_upload_type_and_size_are_checked_on_the_server():
    """Streamlit's server refuses a file type the uploader does not accept, whatever the
    browser sent (browsers do not even offer such files), before any page code runs and
    without details (showErrorDetails = none); our own check repeats it and enforces the
    size limit."""
    at = app()
    at.get("file_uploader")[0].upload("notes.txt", b"not a video", "text/plain")
    at.run()
    assert len(at.exception) == 1 and "redacted" in at.exception[0].value
    assert "Traceback" not in at.exception[0].value
    assert state.RESULTS_KEY not in at.session_state
    with pytest.raises(InputError, match="not a video file"):
        check_upload("notes.txt", 100, max_mb=500)
    with pytest.raises(InputError, match="limit here is 500 MB"):
        check_upload("run.mp4", 600_000_000, max_mb=500)
    with pytest.raises(InputError, match="empty"):
        check_upload("run.mov", 0, max_mb=500)
    check_upload("IMG_0001.MOV", 50_000_000, max_mb=500)


def test_the_sample_run_cannot_be_saved_into_a_runners_history(report, data_dir):
    """Saved under "Ana", the synthetic sample joined her history as a run of hers (the
    sample mark lives in the browser tab only): it is not offered for saving."""
    from ui.share_panel import SAMPLE_NOT_SAVED

    sample = state.make_result(report, video_path=None, file_name="sample.mp4", is_sample=True)
    at = app(results=[sample], page="app_pages/results.py")
    no_exception(at)
    assert SAMPLE_NOT_SAVED in texts(at)
    assert [b for b in at.button if b.key and b.key.startswith("FormSubmitter:save_form_")] == []


def save_from_results(at: AppTest, result, *, name: str | None = None) -> None:
    if name is not None:
        at.text_input(key=f"save_form_{result.id}_name").set_value(name)
    at.button(key=f"FormSubmitter:save_form_{result.id}-Save").click().run()


def test_saves_under_one_name_from_one_tab_join_one_history(report, data_dir):
    first = state.make_result(report, video_path=None, file_name="a.mp4", athlete="Eli")
    second = state.make_result(report, video_path=None, file_name="b.mp4", athlete="eli")
    at = app(results=[first, second], page="app_pages/results.py")
    at.selectbox(key="results_pick").set_value(first.id).run()
    save_from_results(at, first)
    at.selectbox(key="results_pick").set_value(second.id).run()
    save_from_results(at, second)
    no_exception(at)
    store = store_for(data_dir)
    tokens = [r.saved.athlete_token for r in at.session_state[state.RESULTS_KEY]]
    assert tokens[0] == tokens[1] and len(store.history(tokens[0])) == 2
    other_tab = app(results=[state.make_result(report, video_path=None, file_name="c.mp4",
                                               athlete="Eli")], page="app_pages/results.py")
    save_from_results(other_tab, other_tab.session_state[state.RESULTS_KEY][0])
    assert other_tab.session_state[state.RESULTS_KEY][0].saved.athlete_token != tokens[0]


def test_an_unreachable_database_never_breaks_a_page(report, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    result = state.make_result(report, video_path=None, file_name="run.mp4", athlete="Fi")
    at = app(results=[result], page="app_pages/results.py", params={"invite": "x" * 43})
    no_exception(at)
    save_from_results(at, result)
    no_exception(at)
    assert "could not be saved" in texts(at)
    assert at.session_state[state.RESULTS_KEY][0].saved is None  # still here, unsaved
    for page_params in ({"analysis": "A" * 43}, {"athlete": "B" * 43}):
        other = app(params=page_params)
        no_exception(other)
    assert "not reachable" in texts(app(params={"analysis": "A" * 43}))
    squad = app(page="app_pages/squad.py")
    squad.text_input(key="coach_passcode").set_value(PASSCODE)
    squad.button(key="FormSubmitter:coach_login-Unlock").click().run()
    no_exception(squad)
    assert "not reachable" in texts(squad)
    assert app().title[0].value == "HipDrive"


def test_an_invite_never_reveals_a_teammates_history(report, data_dir):
    """Someone with the invite link saving under a teammate's name joins the squad
    member (that is the invite's trust) but gets only the new analysis's link."""
    store = store_for(data_dir)
    teammate = store.save(report, athlete_name="Cleo", squad=True, note="private note")
    invite = store.invite_token()
    result = state.make_result(report, video_path=None, file_name="run.mp4", athlete="cleo")
    at = app(params={"invite": invite})  # arrives through the invite link
    assert "uploading into your coach's squad" in texts(at)
    at.session_state[state.RESULTS_KEY] = [result]
    at.switch_page("app_pages/results.py").run()
    save_from_results(at, result)
    no_exception(at)
    links = [c.value for c in at.code]
    assert links and all("/?analysis=" in link for link in links)
    assert teammate.athlete_token not in texts(at) and "/?athlete=" not in texts(at)
    assert "coach can send you your history" in texts(at)
    at.switch_page("app_pages/history.py").run()
    no_exception(at)
    assert "private note" not in texts(at) and not at.get("plotly_chart")
    assert len(store.history(teammate.athlete_token)) == 2  # the save did join Cleo


def test_hostile_names_are_inert_on_the_history_page(report, data_dir):
    receipt = store_for(data_dir).save(report, athlete_name=HOSTILE)
    at = app(params={"athlete": receipt.athlete_token})
    no_exception(at)
    heading = next(m.value for m in at.markdown if m.value.startswith("### "))
    assert "<script>" not in heading and "![" not in heading and ":red[" not in heading
    assert r"\:red\[boo\]" in heading


@pytest.mark.parametrize(("public", "expected"), [
    ("https://club.example/hd/workshop?board=x", "https://club.example/hd/?analysis=T"),
    ("https://club.example/hd/", "https://club.example/hd/?analysis=T"),
    ("http://127.0.0.1:8501/squad", "http://127.0.0.1:8501/?analysis=T"),
    ("http://127.0.0.1:8501", "http://127.0.0.1:8501/?analysis=T"),
])
def test_links_point_at_the_app_not_at_the_current_page(public, expected, monkeypatch):
    from ui.saved import absolute_link

    monkeypatch.setenv("HIPDRIVE_PUBLIC_URL", public)
    assert absolute_link("/?analysis=T") == expected


def test_room_links_reach_the_presenters_machine_from_phones(monkeypatch):
    import ui.saved as saved_ui

    monkeypatch.delenv("HIPDRIVE_PUBLIC_URL", raising=False)
    monkeypatch.setattr(saved_ui, "local_network_address", lambda: "192.168.1.20")
    for seen, expected in (("http://localhost:8501/workshop?board=x",
                            "http://192.168.1.20:8501/?workshop=T"),
                           ("http://club.example/workshop", "http://club.example/?workshop=T")):
        monkeypatch.setattr(saved_ui, "absolute_link",
                            lambda path, seen=seen: seen.split("/workshop")[0] + path)
        assert saved_ui.room_link("/?workshop=T") == expected
    monkeypatch.setattr(saved_ui, "absolute_link", lambda path: "http://localhost:8501" + path)
    monkeypatch.setattr(saved_ui, "local_network_address", lambda: None)  # no network
    assert saved_ui.room_link("/?workshop=T") == "http://localhost:8501/?workshop=T"
    monkeypatch.setattr(saved_ui, "local_network_address", lambda: "192.168.1.20")
    assert not saved_ui.only_this_computer(saved_ui.room_link("/?analysis=T"))
    monkeypatch.setattr(saved_ui, "listens_only_locally", lambda: True)  # LAN cannot reach it
    assert saved_ui.only_this_computer(saved_ui.room_link("/?analysis=T"))
    monkeypatch.setattr(saved_ui, "listens_only_locally", lambda: False)
    monkeypatch.setenv("HIPDRIVE_PUBLIC_URL", "http://localhost:8501")  # configured: kept
    assert saved_ui.room_link("/?workshop=T") == "http://localhost:8501/?workshop=T"


def test_links_for_others_point_at_the_network_address_not_localhost(monkeypatch):
    """A coach who opened the app as localhost gets an invite link the squad can open
    (this machine's network address), and is warned when there is none."""
    import ui.saved as saved_ui

    def squad_page() -> AppTest:
        at = app(page="app_pages/squad.py")
        at.text_input(key="coach_passcode").set_value(PASSCODE)
        at.button(key="FormSubmitter:coach_login-Unlock").click().run()
        no_exception(at)
        return at

    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", PASSCODE)
    monkeypatch.delenv("HIPDRIVE_PUBLIC_URL", raising=False)
    monkeypatch.setattr(saved_ui, "absolute_link", lambda path: "http://localhost:8501" + path)
    monkeypatch.setattr(saved_ui, "local_network_address", lambda: "192.168.1.20")
    at = squad_page()
    invite = next(c.value for c in at.code if "invite=" in c.value)
    assert invite.startswith("http://192.168.1.20:8501/?invite=")
    assert not any(saved_ui.ONLY_THIS_COMPUTER in c.value for c in at.caption)
    monkeypatch.setattr(saved_ui, "local_network_address", lambda: None)
    at = squad_page()
    assert any(saved_ui.ONLY_THIS_COMPUTER in c.value for c in at.caption)
