"""HipDrive: hip mobility of running from a side-view video (no UI code here)."""

__version__ = "0.1.0"
