"""Similarity search: which known implementations a submission copies, even disguised.

``documents`` fingerprints a file (normalized token k-grams, winnowed, and AST-shape
features), ``index`` stores fingerprints in SQLite, ``search`` finds and scores candidates
and ``align`` finds the matched regions.
"""
