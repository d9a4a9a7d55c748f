"""What the README says the code produced, against what the runs measured (RUN007).

The README reading (``Review.readme_results``) gives rows of (metric, setting, paper value,
reproduced value, unit, path, line). A row belongs to a claim when its metric *names* the
claim's metric: both are compared after lower-casing and turning every run of characters
other than letters and digits into one space, so ``Test accuracy``, ``test_accuracy`` and
``test-accuracy`` are the same name. A claims file may list other names the README may use
(``readme_metric = ["top-1 accuracy"]``). Only scalar and exact claims with a mean are
compared; a row without a reproduced value says nothing about the runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reviewbot.core.models import ClaimVerdict, Finding, ResultRow, Rule
from reviewbot.replication.claims import Claim

NOT_A_NAME = re.compile(r"[^0-9a-z]+")


def metric_name(text: str) -> str:
    """``Test_Accuracy (%)`` → ``test accuracy``: the form names are matched in."""
    return NOT_A_NAME.sub(" ", text.lower().replace("(%)", "")).strip()


def claim_names(claim: Claim) -> set[str]:
    return {metric_name(name) for name in (claim.spec.metric, *claim.spec.readme_metric) if name}


def readme_findings(rows: Sequence[ResultRow], claims: Sequence[Claim],
                    verdicts: Sequence[ClaimVerdict], rule: Rule) -> list[Finding]:
    """One finding per README row whose reproduced value is further from the runs' mean than
    the claim's tolerance."""
    findings = []
    for claim, verdict in zip(claims, verdicts, strict=True):
        if claim.kind not in ("scalar", "exact") or verdict.mean is None or verdict.n == 0:
            continue
        names = claim_names(claim)
        for row in rows:
            if row.reproduced is None or metric_name(row.metric) not in names:
                continue
            finding = _mismatch(row, claim, verdict, rule)
            if finding is not None:
                findings.append(finding)
    return findings


def _mismatch(row: ResultRow, claim: Claim, verdict: ClaimVerdict, rule: Rule) -> Finding | None:
    tolerance = verdict.tolerance or 0.0
    reported = float(row.reproduced or 0.0)
    gap = abs(reported - verdict.mean) if verdict.mean is not None else 0.0
    if gap <= tolerance:
        return None
    unit = f" {row.unit}" if row.unit else ""
    setting = f" ({row.setting})" if row.setting else ""
    runs = f"{verdict.n} run{'s' if verdict.n != 1 else ''}"
    return rule.finding(
        f"the README reports {row.metric}{setting} = {reported:.4g}{unit}, but the runs "
        f"averaged {verdict.mean:.4g}{unit} over {runs}: {gap:.4g} apart, more than claim "
        f"{claim.id}'s tolerance {tolerance:.4g}", row.path, row.line)
