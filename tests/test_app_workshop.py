"""AppTest of the workshop pages: start a workshop, the board with the room's results
(hostile nicknames inert), the participant's upload page, closing it."""

from __future__ import annotations

import json

import pytest

from gait.store.workshops import board, find_workshop
from tests.store_writers import small_report
from tests.test_app_saved import app, no_exception, store_for, texts
from ui import saved

HOSTILE = "<b>Bea</b> :red[x]"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HIPDRIVE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HIPDRIVE_OPEN_WORKSHOPS", "1")  # starting one is the host's choice
    return tmp_path / "data"


def start(name: str = "Club night"):
    at = app(page="app_pages/workshop.py")
    at.text_input(key="workshop_name").set_value(name)
    at.button(key="FormSubmitter:start_workshop-Start a workshop").click().run()
    no_exception(at)
    return at


def test_start_a_workshop_then_results_arrive_on_the_board(data_dir):
    at = start()
    host = at.session_state[saved.BOARD_KEY]
    store = store_for(data_dir)
    workshop = find_workshop(store, host_token=host)
    assert workshop.name == "Club night" and not workshop.closed
    assert "Waiting for the first result" in texts(at)
    assert any("<svg" in m.value for m in at.markdown)  # the join QR code
    assert any(f"/?workshop={workshop.join_token}" in c.value for c in at.code)
    report = small_report()
    for nickname in ("Ada", HOSTILE):
        store.save(report, athlete_name=nickname, workshop_id=workshop.id)
    at.run()
    no_exception(at)
    labels = [m.label for m in at.metric]
    assert labels[0].startswith("Most hip drive for their speed: ")
    assert "<b>" not in labels[0] and ":red[" not in labels[0]
    assert dict(zip(labels, (m.value for m in at.metric), strict=True))["Runners"] == "2"
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    spec = json.loads(charts[0].proto.spec)
    names = [y for trace in spec["data"] for y in trace.get("y", [])]
    assert "&lt;b&gt;Bea&lt;/b&gt; :red[x]" in names and HOSTILE not in names


def test_a_leader_short_of_the_reference_gets_a_down_arrow(data_dir):
    """The leader's difference from the reference sets the metric's arrow by its sign: a
    typographic minus (−) read as no sign and drew an up arrow beside "−2.1°"."""
    import dataclasses

    at = start()
    workshop = find_workshop(store_for(data_dir), host_token=at.session_state[saved.BOARD_KEY])
    report = small_report()
    s = report.summary
    short = {**s.reference.values, "peak_thigh_extension_deg":
             s.near.median("peak_thigh_extension_deg") + 2.1}  # the runner 2.1° short of it
    report = dataclasses.replace(report, summary=dataclasses.replace(
        s, reference=dataclasses.replace(s.reference, values=short)))
    store_for(data_dir).save(report, athlete_name="Bo", workshop_id=workshop.id)
    at.run()
    no_exception(at)
    assert at.metric[0].delta == "-2.1° vs reference"  # ASCII minus: a down arrow


def test_board_only_hides_the_join_code_and_keeps_the_results(data_dir):
    """On a 1280×720 projector the QR code and the join link filled the first screen:
    "Board only" hides them (the link stays, small) and the results stay."""
    at = start()
    workshop = find_workshop(store_for(data_dir), host_token=at.session_state[saved.BOARD_KEY])
    store_for(data_dir).save(small_report(), athlete_name="Ada", workshop_id=workshop.id)
    at.run()
    assert any("<svg" in m.value for m in at.markdown) and at.code
    at.toggle(key="board_only").set_value(True).run()
    no_exception(at)
    assert not any("<svg" in m.value for m in at.markdown)  # no QR code
    assert not [c for c in at.code if "workshop=" in c.value]  # no big join link
    assert any(f"/?workshop={workshop.join_token}" in c.value for c in at.caption)
    assert [m.label for m in at.metric][-1] == "Runners" and len(at.get("plotly_chart")) == 2


def test_the_board_key_stays_out_of_the_address_bar_and_reopens_the_board(data_dir):
    """The presenter projects the board: its address bar must not show the host token
    (anyone in the room could close the workshop with it). The private link to reopen
    the board is offered in a closed expander and opens the same board."""
    at = start("Club night")
    host = at.session_state[saved.BOARD_KEY]
    assert "board" not in at.query_params
    private = [m.value for m in at.markdown if "/?board=" in m.value]
    assert private == [f"`/?board={host}`"]  # no browser in AppTest: a relative link
    reopened = app(params={"board": host})
    no_exception(reopened)
    assert "Club night" in texts(reopened)
    assert "board" not in reopened.query_params
    assert reopened.session_state[saved.BOARD_KEY] == host
    reopened.button(key="close_workshop").click().run()  # a rerun without the key in the URL
    no_exception(reopened)
    assert "Club night" in texts(reopened)  # not ticked: the workshop stays open
    assert "tick “Yes, close it and delete everything” first" in texts(reopened)
    assert not find_workshop(store_for(data_dir), host_token=host).closed


def test_participants_join_with_a_nickname_and_closed_workshops_say_so(data_dir):
    at = start()
    workshop = find_workshop(store_for(data_dir), host_token=at.session_state[saved.BOARD_KEY])
    phone = app(params={"workshop": workshop.join_token})
    no_exception(phone)
    assert "You are in the workshop" in texts(phone)
    assert phone.text_input(key="athlete").label == "Nickname (required)"
    assert phone.checkbox(key="save_choice").disabled  # a workshop always saves
    phone.get("file_uploader")[0].upload("run.mp4", b"x" * 100, "video/mp4")
    phone.run()
    phone.button(key="analyze").click().run()
    assert "Give a nickname" in texts(phone)

    store_for(data_dir).save(small_report(), athlete_name="Ada", workshop_id=workshop.id)
    at.checkbox(key="close_workshop_sure").check().run()
    at.button(key="close_workshop").click().run()
    no_exception(at)
    assert "closed and everything it collected was deleted" in texts(at)
    assert board(store_for(data_dir), workshop.id).empty
    late = app(params={"workshop": workshop.join_token})
    assert "workshop has ended" in texts(late)
    assert "You are in the workshop" not in texts(late)


def test_an_unknown_board_link_offers_to_start_one():
    at = app(params={"board": "A" * 43})
    no_exception(at)
    assert at.title[0].value == "Workshop"
    assert "not found" in texts(at)


def test_a_server_listening_on_this_laptop_only_says_phones_cannot_join(monkeypatch):
    from streamlit import config

    monkeypatch.delenv("HIPDRIVE_PUBLIC_URL", raising=False)
    assert not any("phones cannot open" in w.value for w in start().warning)
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    try:
        at = start()
    finally:
        config.set_option("server.address", before)
    assert any("phones cannot open the link" in w.value and "0.0.0.0" in w.value
               for w in at.warning)
