"""Workshop boards in the store: participants saving at the same moment all land on
the board, a closed workshop takes no more results, and closing deletes everything
it collected. Against SQLite and the PostgreSQL server the tests start."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from gait.store import Store, StoreError
from gait.store.workshops import board, close_workshop, create_workshop, find_workshop
from tests.store_writers import join_workshop, small_report
from tests.test_store import BACKENDS, fake_video, fresh_database_url, row_counts


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    opened = Store(fresh_database_url(request.param, request, tmp_path),
                   files_dir=tmp_path / "files")
    yield opened
    opened.close()


def test_participants_saving_at_once_all_reach_the_board(store, tmp_path):
    workshop = create_workshop(store, "Thursday club <b>")
    nicknames = [f"runner {i}" for i in range(6)] + ["<img src=x>"]
    start_at = time.time() + 6.0
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        tokens = pool.starmap(join_workshop, [(store.url, str(tmp_path / "files"),
                                               workshop.id, n, start_at) for n in nicknames])
    table = board(store, workshop.id)
    assert sorted(table["nickname"]) == sorted(nicknames)
    assert set(table["token"]) == set(tokens)
    assert table["peak_thigh_extension_near_deg"].notna().all()
    assert table["cadence_spm"].between(150, 200).all()
    other = create_workshop(store, "another room")
    assert board(store, other.id).empty  # boards never mix


def test_tokens_find_the_workshop_and_nothing_else(store):
    workshop = create_workshop(store, "  Club   night ")
    assert workshop.name == "Club night"
    assert find_workshop(store, join_token=workshop.join_token) == workshop
    assert find_workshop(store, host_token=workshop.host_token) == workshop
    assert find_workshop(store, join_token=workshop.host_token) is None
    assert find_workshop(store, host_token=workshop.join_token) is None
    assert find_workshop(store, join_token="A" * 43) is None
    assert find_workshop(store, join_token="not a token") is None


def test_closing_deletes_everything_it_collected_and_nothing_else(store, tmp_path):
    report = small_report()
    keep = store.save(report, athlete_name="Not in the workshop")
    workshop = create_workshop(store, "club")
    for name in ("a", "b", "c"):
        store.save(report, athlete_name=name, workshop_id=workshop.id,
                   annotated_video=fake_video(tmp_path, f"{name}.mp4"))
    assert len(list(store.files.root.iterdir())) == 3
    assert close_workshop(store, workshop.join_token) == 0  # the join token cannot close
    assert close_workshop(store, workshop.host_token) == 3
    assert board(store, workshop.id).empty
    assert list(store.files.root.iterdir()) == []
    counts = row_counts(store)
    assert counts["analyses"] == 1 and counts["athletes"] == 1 and counts["files"] == 0
    assert store.load(keep.token) is not None
    assert find_workshop(store, join_token=workshop.join_token).closed
    with pytest.raises(StoreError, match="workshop has ended"):
        store.save(report, athlete_name="late", workshop_id=workshop.id)
    assert row_counts(store) == counts  # the refused save left nothing
