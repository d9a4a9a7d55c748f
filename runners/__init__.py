"""Notebook runners: execute a submission's notebooks in a sandbox and capture metrics."""
