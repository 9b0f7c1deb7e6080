"""Errors of the store whose messages are written for the user."""


class StoreError(Exception):
    """A save or lookup that cannot be done; the message says what to do."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer HipDrive."""
