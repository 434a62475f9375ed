"""The run store: lab sweeps, their runs and checkpoints in one SQLite file (see :mod:`.db`)."""

from .db import ROLES, STATUSES, Store, scaling_params
from .migrations import LATEST_VERSION, MIGRATIONS, Migration, schema_version

__all__ = [
           "LATEST_VERSION",
           "MIGRATIONS",
           "ROLES",
           "STATUSES",
           "Migration",
           "Store",
           "scaling_params",
           "schema_version",
]
