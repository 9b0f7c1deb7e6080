"""An installed HipDrive (a wheel, not the checkout) runs its app and its own sample run:
the wheel holds the engine, the app, its pages, the synthetic runner the sample is drawn
with and the README the Method page quotes; `hipdrive-app` starts it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def find_uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path.home() / ".local" / "bin"))
    assert found, "uv is needed (scripts/setup.sh installs it)"
    return found


OPTIONAL_GROUPS = {"cluster"}  # extras the code imports only when asked (Ray)


def _requirement_name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement)[0]).lower()


def test_every_third_party_import_of_the_wheel_is_a_declared_dependency():
    """The wheel test below borrows this environment's packages, so it cannot notice a
    dependency missing from pyproject.toml: every module the shipped code imports must
    come from the standard library, the wheel itself, or a declared distribution."""
    from importlib.metadata import packages_distributions

    from tests.test_architecture import imported_modules

    shipped = [ROOT / "app.py", *(path for folder in ("gait", "ui", "app_pages", "synthetic")
                                  for path in (ROOT / folder).rglob("*.py"))]
    local = {"gait", "ui", "app_pages", "synthetic", "__future__"}
    third_party = {name.split(".")[0] for path in shipped for name in imported_modules(path)
                   } - local - set(sys.stdlib_module_names)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {_requirement_name(r) for r in project["project"]["dependencies"]}
    declared |= {_requirement_name(r) for group in OPTIONAL_GROUPS
                 for r in project["dependency-groups"][group]}
    provided_by = packages_distributions()
    missing = {module: provided_by.get(module) for module in third_party
               if not {_requirement_name(d) for d in provided_by.get(module, [])} & declared}
    assert third_party >= {"av", "cv2", "mediapipe", "streamlit"}  # the check sees imports
    assert missing == {}


def test_the_launcher_runs_the_installed_entry_script_with_the_apps_settings():
    from ui.launch import ENTRY_SCRIPT, streamlit_argv

    assert ENTRY_SCRIPT.is_file()
    argv = streamlit_argv(["--server.port", "8600"])
    assert argv[:3] == ["streamlit", "run", str(ENTRY_SCRIPT)]
    assert argv[-2:] == ["--server.port", "8600"]  # the user's own options come last
    for setting in ("--browser.gatherUsageStats=false", "--client.showErrorDetails=none",
                    "--client.toolbarMode=minimal", "--server.maxUploadSize=500"):
        assert setting in argv


def test_the_wheel_installs_an_app_that_runs_its_sample(tmp_path):
    uv = find_uv()
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    subprocess.run([uv, "build", "--wheel", "-o", str(tmp_path / "dist"), "--quiet"], cwd=ROOT,
                   env=env, check=True)
    wheel = next((tmp_path / "dist").glob("hipdrive-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", str(venv), "--python", sys.executable, "--quiet"], env=env,
                   check=True)
    python = venv / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--python", str(python), "--no-deps", "--quiet",
                    str(wheel)], env=env, check=True)
    # the dependencies (not HipDrive) come from this environment's site-packages
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    (Path(site.stdout.strip()) / "_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    assert (venv / "bin" / "hipdrive-app").exists() and (venv / "bin" / "gait").exists()
    script = textwrap.dedent(f"""
        import gait, ui, synthetic
        from pathlib import Path
        for package in (gait, ui, synthetic):
            assert Path(package.__file__).is_relative_to({str(venv)!r}), package.__file__
        from ui.sample import sample_clip_path
        clip = sample_clip_path()
        assert clip.stat().st_size > 10_000, clip
        from streamlit.testing.v1 import AppTest
        from ui.launch import ENTRY_SCRIPT
        from ui.app_entry import PAGES_DIR
        app = AppTest.from_file(str(ENTRY_SCRIPT), default_timeout=120)
        app.run()
        assert not app.exception, app.exception
        assert any("sample" in b.label.lower() for b in app.button), [b.label for b in app.button]
        app.switch_page(str(PAGES_DIR / "method.py")).run()
        assert not app.exception, app.exception
        text = " ".join(m.value for m in app.markdown)
        assert "Real clips" in text and "Held-out synthetic set" in text
        from ui.launch import streamlit_argv  # the settings ship with the wheel
        assert "--browser.gatherUsageStats=false" in streamlit_argv([])
        print("ok")
        """)
    done = subprocess.run([str(python), "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600,
                          env=dict(os.environ, HIPDRIVE_DATA_DIR=str(tmp_path / "data"),
                                   PYTHONPATH=""))
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
