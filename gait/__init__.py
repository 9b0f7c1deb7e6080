"""HipDrive gait analysis package."""
