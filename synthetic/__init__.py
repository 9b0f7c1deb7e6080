"""Synthetic ground truth for HipDrive tests: a runner model and a video renderer.

See README.md. Import the submodules directly (render_runner needs av and cv2).
"""
