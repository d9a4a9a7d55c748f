"""The static checks: one module per check, registered here in the order they report."""

from reviewbot.checks import comments, hygiene, lint, modularity, notebook, readme, similarity
from reviewbot.checks.base import CheckModule

REGISTRY: dict[str, CheckModule] = {
    module.ID: module  # type: ignore[misc]
    for module in (readme, notebook, modularity, comments, lint, hygiene, similarity)
}
