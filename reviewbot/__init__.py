"""reviewbot: review and replication validation of DLC paper-replication submissions."""

__version__ = "0.1.0"
