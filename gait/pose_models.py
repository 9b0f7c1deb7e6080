"""The pose models HipDrive can run, and installing the one pip does not ship.

mediapipe 0.10.21's wheel bundles BlazePose *full* (`model_complexity=1`). BlazePose
*heavy* (`model_complexity=2`, HipDrive's default since 2026-12-03) is the same model
family, larger and ~2.4× slower; its file comes from the npm registry's `@mediapipe/pose`
package (Apache-2.0, the MediaPipe authors; its copy of the full model is byte-identical
to the wheel's). `scripts/setup.sh` runs `python -m gait.pose_models install`, which
downloads that pinned package once, checks the model's SHA-256 and puts it where
mediapipe looks for it. Nothing is fetched while analysing: a missing heavy model is an
`AnalysisError` (mediapipe itself would try to download it from the internet).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import os
import tarfile
import urllib.request
from pathlib import Path

from gait.result import AnalysisError

POSE_MODELS = {"full": 1, "heavy": 2}  # name -> MediaPipe's model_complexity
DEFAULT_POSE_MODEL = "heavy"  # closer angles on held-out and real clips (README); full is
# ~2× faster and is what live mode runs (gait.live.LIVE_POSE_MODEL)
HEAVY_PACKAGE = "@mediapipe/pose@0.5.1675469404"
HEAVY_TARBALL_URL = "https://registry.npmjs.org/@mediapipe/pose/-/pose-0.5.1675469404.tgz"
HEAVY_MEMBER = "package/pose_landmark_heavy.tflite"
HEAVY_SHA256 = "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
DOWNLOAD_TIMEOUT_S = 300


class PoseModelMissing(AnalysisError):
    """The chosen pose model's file is not installed."""


def check_pose_model(name: str) -> str:
    """`name` if it is a known pose model, else ValueError naming the known ones."""
    if name not in POSE_MODELS:
        raise ValueError(f"pose model must be one of {', '.join(POSE_MODELS)}, not {name!r}")
    return name


def model_file(name: str) -> Path:
    """Where mediapipe looks for the named model (inside the installed package)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise PoseModelMissing("mediapipe is not installed: run `bash scripts/setup.sh`.")
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "modules" / "pose_landmark" / f"pose_landmark_{check_pose_model(name)}.tflite"


def is_installed(name: str) -> bool:
    return model_file(name).is_file()


def require_installed(name: str) -> None:
    """PoseModelMissing with what to do, before mediapipe would try the internet."""
    if not is_installed(name):
        raise PoseModelMissing(
            f"The {name} pose model is not installed on this computer. Run "
            "`bash scripts/setup.sh` (it fetches it once from the npm registry), or analyse "
            "with the faster, less exact full model (`--pose-model full`).")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def heavy_model_from_tarball(tarball: bytes) -> bytes:
    """The heavy model's bytes out of the npm package, checked against HEAVY_SHA256."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(HEAVY_MEMBER)
        if member is None:
            raise ValueError(f"{HEAVY_MEMBER} is not a file in {HEAVY_PACKAGE}")
        model = member.read()
    if sha256_of(model) != HEAVY_SHA256:
        raise ValueError(f"{HEAVY_MEMBER} from {HEAVY_PACKAGE} does not have the expected "
                         "SHA-256: not installed")
    return model


def install_heavy(*, url: str = HEAVY_TARBALL_URL, opener=urllib.request.urlopen) -> Path:
    """Download the pinned npm package, check the model and write it next to mediapipe's
    full model (atomically); does nothing when the right file is already there."""
    target = model_file("heavy")
    if target.is_file() and sha256_of(target.read_bytes()) == HEAVY_SHA256:
        return target
    with opener(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        model = heavy_model_from_tarball(response.read())
    partial = target.with_suffix(".tflite.partial")
    partial.write_bytes(model)
    os.replace(partial, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="HipDrive's pose models.")
    parser.add_argument("action", choices=["install", "status"])
    args = parser.parse_args()
    if args.action == "install":
        print(f"heavy pose model: {install_heavy()} (from {HEAVY_PACKAGE}, Apache-2.0)")
    for name in POSE_MODELS:
        print(f"{name}: {'installed' if is_installed(name) else 'missing'}")


if __name__ == "__main__":
    main()
