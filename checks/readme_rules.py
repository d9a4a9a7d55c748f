"""The readme check's rule codes, in one table the check and its helpers share."""

from __future__ import annotations

from reviewbot.core.models import Rule, Severity

ID = "readme"

MISSING = Rule(ID, "README001", Severity.ERROR, "no README at the submission's top level",
               "Add a README.md next to the code saying which paper it reproduces, how to run "
               "it and what came out.")
UNREADABLE = Rule(ID, "README002", Severity.ERROR, "README is not readable text",
                  "Save the README as plain UTF-8 text (Markdown or reStructuredText), not a "
                  "binary document.")
TOO_SHORT = Rule(ID, "README003", Severity.WARNING, "README is empty or very short",
                 "Write the sections a reviewer needs: the paper, how to run, requirements, "
                 "data, results against the paper, and deviations.")
NO_PAPER_LINK = Rule(ID, "README004", Severity.ERROR, "README does not link the paper",
                     "Link the paper near the top: its arXiv URL or id (arXiv:1412.6980), its "
                     "DOI, or the URL of its PDF.")
NO_TITLE_AUTHORS = Rule(ID, "README005", Severity.WARNING,
                        "README does not give the paper's title and authors",
                        "Name the paper in full, e.g. '[Adam: A Method for Stochastic "
                        "Optimization](https://arxiv.org/abs/1412.6980), Kingma and Ba, 2014'.")
NO_HOW_TO_RUN = Rule(ID, "README006", Severity.WARNING,
                     "README does not say how to install and run",
                     "Add a 'Usage' section with the commands, e.g. `pip install -r "
                     "requirements.txt` then `jupyter notebook <notebook>.ipynb`.")
NO_REQUIREMENTS = Rule(ID, "README007", Severity.WARNING, "README does not state the requirements",
                       "Add a 'Requirements' section: point to requirements.txt, or list the "
                       "Python and framework versions used (e.g. TensorFlow 2.15).")
NO_DATA = Rule(ID, "README008", Severity.WARNING, "README does not say where the data comes from",
               "Add a 'Data' section naming the dataset, where to download it (URL or loader) "
               "and any preprocessing.")
NO_RESULTS = Rule(ID, "README009", Severity.ERROR, "README has no results with numbers",
                  "Add a 'Results' section with a table of the paper's numbers next to the "
                  "reproduced ones (columns: metric, paper, ours).")
NO_COMPARISON = Rule(ID, "README010", Severity.WARNING,
                     "README results do not compare the paper with the reproduction",
                     "Put the paper's reported value and your reproduced value side by side, "
                     "in columns labelled e.g. 'paper' and 'ours'.")
NO_DEVIATIONS = Rule(ID, "README011", Severity.WARNING,
                     "README does not state deviations from the paper",
                     "Add a 'Deviations from the paper' section: what differs (data, model size, "
                     "epochs, hyperparameters) and why; say so if nothing does.")
COMPLETENESS_LOW = Rule(ID, "README012", Severity.INFO, "ML code completeness below 5/5",
                        "Complete the ML code checklist: dependencies, training code, evaluation "
                        "code, pre-trained models (or say training is quick), results table.")
COMPLETENESS_POOR = Rule(ID, "README013", Severity.WARNING,
                         "ML code completeness below the required minimum",
                         "Complete the ML code checklist: dependencies, training code, evaluation "
                         "code, pre-trained models (or say training is quick), results table.")
TEMPLATE_LEFT = Rule(ID, "README014", Severity.WARNING, "README still holds template text",
                     "Replace each placeholder (@TODO, TBD, 'Write your ...') and each sentence "
                     "of the template with your own text; a section that holds template text "
                     "counts as missing.")
UNFILLED = Rule(ID, "README015", Severity.ERROR, "README is the unfilled template",
                "Write the README: the paper's title and link, how to run the code, and the "
                "results you obtained next to the paper's.")
NOT_COMPLETED = Rule(ID, "README016", Severity.ERROR, "README says the replication was not "
                     "completed", "Finish the replication (or the part that produces a result) "
                     "before asking for review; say in the README what runs and what it gives.")
ONLY_PAPER_NUMBERS = Rule(ID, "README017", Severity.ERROR,
                          "README results give only the paper's numbers",
                          "Report the numbers your code produced next to the paper's (columns "
                          "'paper' and 'ours'); a table of the paper's values is not a result.")
FIGURES_ONLY = Rule(ID, "README018", Severity.WARNING, "README results only as figures",
                    "Give the reproduced numbers as text too (a table: metric, paper, ours), "
                    "or say that the paper reports only plots and name each figure's source.")
LARGE_GAP = Rule(ID, "README019", Severity.INFO, "reproduced results far from the paper's",
                 "Explain the gap in the README (budget, data, a setting the paper leaves "
                 "open); the mentor reads it next to the table.")
MISSING_FILE = Rule(ID, "README020", Severity.ERROR, "README command names a file that is not "
                    "in the folder", "Fix the command or add the file: every script, notebook "
                    "and shell file the README tells people to run must exist under that name.")
UPSTREAM = Rule(ID, "README021", Severity.INFO, "code based on another project",
                "Fine when declared: say which upstream project and version the code starts "
                "from, and what you changed.")
UPSTREAM_CHANGES = Rule(ID, "README022", Severity.WARNING,
                        "README does not say what was changed from the upstream code",
                        "List the files you wrote or changed and what the upstream project "
                        "already provided, so the mentor reviews your part.")
NAMED_NOT_LINKED = Rule(ID, "README023", Severity.WARNING,
                        "README names the paper but does not link it",
                        "Link the paper next to its title: its arXiv URL or id, its DOI, or the "
                        "URL of its PDF on the venue's site.")
RULES: tuple[Rule, ...] = (MISSING, UNREADABLE, TOO_SHORT, NO_PAPER_LINK, NO_TITLE_AUTHORS,
                           NO_HOW_TO_RUN, NO_REQUIREMENTS, NO_DATA, NO_RESULTS, NO_COMPARISON,
                           NO_DEVIATIONS, COMPLETENESS_LOW, COMPLETENESS_POOR, TEMPLATE_LEFT,
                           UNFILLED, NOT_COMPLETED, ONLY_PAPER_NUMBERS, FIGURES_ONLY, LARGE_GAP,
                           MISSING_FILE, UPSTREAM, UPSTREAM_CHANGES, NAMED_NOT_LINKED)
