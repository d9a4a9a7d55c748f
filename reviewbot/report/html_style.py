"""The report page's stylesheet (inline: the page loads nothing from anywhere)."""

from __future__ import annotations

# One colour per matched region of a pair, repeated when a pair has more regions.
PALETTE = ("#ffe08a", "#b8e0ff", "#c8f0c0", "#ffc8d8", "#e0d0ff", "#ffd8b0", "#c0f0f0",
           "#f0f0a0")

_REGIONS = "".join(f".c{i}{{background:{colour}}}" for i, colour in enumerate(PALETTE))

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:110em;color:#222}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.verdict{font-weight:bold;font-size:1.1em}.verdict.failed{color:#b00020}
.verdict.passed{color:#126b12}.note{background:#fff6d6;padding:.3em .6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f4f4f4}
tr.claim.reproduced td:nth-child(2){color:#126b12}
tr.claim.not_reproduced td:nth-child(2){color:#b00020;font-weight:bold}
tr.claim.inconclusive td:nth-child(2){color:#a05a00}
tr.claim.not_checked td:nth-child(2){color:#666}
img.plot{max-width:100%;border:1px solid #ddd;margin-top:.5em}
.finding{border-left:4px solid #ccc;padding:.1em .8em;margin:.6em 0}
.finding.error{border-color:#b00020}.finding.warning{border-color:#e0a000}
.finding.info{border-color:#6aa0d8}.fix{color:#555;margin:.2em 0}
pre{margin:0;font-size:12px;line-height:1.35}pre.context{background:#f8f8f8;padding:.3em}
.hit{background:#ffe9a8;display:block}.ctx{display:block}
.ln{color:#999;user-select:none}details.group{margin:.4em 0}
.pair{display:flex;gap:1em}.pair>div{flex:1;overflow:auto;max-height:45em;
border:1px solid #ccc}.pair span[class^=c]{display:block}a.jump{text-decoration:none;
margin-left:.2em}.notebook{border:1px solid #ddd;padding:.5em;overflow:auto}
.notebook img{max-width:100%}.total{font-weight:bold}
.badge{font-size:.6em;padding:.15em .5em;border-radius:.3em;vertical-align:middle;color:#fff}
.badge.failed{background:#b00020}.badge.warnings{background:#a05a00}
.badge.passed{background:#126b12}
""" + _REGIONS
