"""The layers, read from the source (every import, also those inside functions): the
engine never imports the app, only `gait/pose.py` imports MediaPipe, only `gait/store/`
imports SQLAlchemy, and the signal stages work on arrays, never on videos, the pose
model or the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = sorted((ROOT / "gait").rglob("*.py"))
APP = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")),
       *sorted((ROOT / "app_pages").glob("*.py"))]
SIGNAL_STAGES = ("tracks", "filtering", "kinematics", "feet", "events", "strides", "metrics",
                 "reference", "drills", "quality", "reliability", "slow_motion", "posetrack",
                 "keypoints")
NOT_FOR_SIGNAL_STAGES = ("gait.video", "gait.clip_file", "gait.pose", "gait.roi",
                         "gait.segments", "gait.render", "gait.store", "av", "cv2",
                         "mediapipe", "sqlalchemy", "streamlit")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name `path` imports (`from a.b import c` gives a.b and
    a.b.c, since c may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def importers(paths: list[Path], package: str, *, root: Path = ROOT) -> list[str]:
    """The files among `paths` (relative to `root`) that import `package` or one of its
    modules."""
    return [path.relative_to(root).as_posix() for path in paths
            if any(name == package or name.startswith(package + ".")
                   for name in imported_modules(path))]


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from streamlit import cache_data\n    import mediapipe\n")
    assert importers([sample], "streamlit", root=tmp_path) == ["sample.py"]
    assert importers([sample], "mediapipe", root=tmp_path) == ["sample.py"]
    assert importers([sample], "sqlalchemy", root=tmp_path) == []


@pytest.mark.parametrize("package", ["streamlit", "ui", "app_pages"])
def test_the_engine_never_imports_the_app(package):
    assert importers(ENGINE, package) == []


def test_only_the_pose_module_imports_mediapipe():
    assert importers(ENGINE + APP, "mediapipe") == ["gait/pose.py"]


def test_only_the_store_imports_sqlalchemy():
    outside = [p for p in importers(ENGINE + APP, "sqlalchemy")
               if not p.startswith("gait/store/")]
    assert outside == []


@pytest.mark.parametrize("stage", SIGNAL_STAGES)
def test_signal_stages_never_touch_video_pose_or_store(stage):
    path = ROOT / "gait" / f"{stage}.py"
    found = sorted(name for name in imported_modules(path)
                   if any(name == bad or name.startswith(bad + ".")
                          for bad in NOT_FOR_SIGNAL_STAGES))
    assert found == [], f"{stage} imports {found}"


@pytest.mark.parametrize("leaf", ["progress.py", "metric_catalogue.py"])
def test_leaf_modules_import_nothing_of_gait(leaf):
    assert not [name for name in imported_modules(ROOT / "gait" / leaf)
                if name.startswith("gait")]


def test_the_renderer_does_not_need_the_pose_model():
    for renderer in ("render.py", "render_draw.py", "render_segments.py"):
        assert importers([ROOT / "gait" / renderer], "gait.pose") == [], renderer


QUOTED_BANDS = ("± 5°", "3–5°", "5–10°", "> 10°", "over 10°")


def _sentences(path: Path) -> list[str]:
    """The string literals of a module that are not docstrings (f-string parts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_sentence_types_the_band_numbers_they_come_from_the_constants(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docs may say ± 5°."""\nTEXT = f"reference {1} ± 5°"\n')
    assert _sentences(sample) == ["reference ", " ± 5°"]  # the checker sees f-string parts
    typed = [(path.relative_to(ROOT).as_posix(), text) for path in ENGINE + APP
             for text in _sentences(path) if any(band in text for band in QUOTED_BANDS)]
    assert typed == []


def test_the_result_module_imports_no_stage_and_its_readers_need_no_pipeline():
    gait_imports = {name for name in imported_modules(ROOT / "gait" / "result.py")
                    if name.startswith("gait")}
    assert {name.rsplit(".", 1)[0] if name.count(".") > 1 else name
            for name in gait_imports} <= {"gait.limits", "gait.posetrack", "gait.summary"}
    assert not any(name.startswith("gait") for name in
                   imported_modules(ROOT / "gait" / "summary.py"))  # its records: a leaf
    readers = [ROOT / "gait" / "report.py", ROOT / "gait" / "outputs.py",
               *sorted((ROOT / "gait" / "store").glob("*.py"))]
    assert importers(readers, "gait.pipeline") == []


@pytest.mark.parametrize(("module", "not_this"), [("gait/reference.py", "gait.metrics"),
                                                  ("gait/store/serialize.py", "gait.outputs"),
                                                  ("gait/live_camera.py", "av.open")])
def test_small_moves_stay_made(module, not_this):
    """The reference needs no stride metrics, the store no output files; the live
    recording writes H.264 through the renderer's one writer (`open_h264`)."""
    path = ROOT / module
    if not_this == "av.open":
        assert "av.open(" not in path.read_text(encoding="utf-8")
    else:
        assert importers([path], not_this) == []
