"""The hygiene check on real folders: each rule, where it points, and what it must not say."""

from __future__ import annotations

import nbformat

from reviewbot.checks.base import CodeUnit
from reviewbot.checks.hygiene import Config, parse_problems, python2_constructs, run
from reviewbot.core.models import Finding, Severity
from reviewbot.core.submission import Submission
from tests.conftest import notebook_json, raw_line_of

SEEDED = "import random\n\nrandom.seed(0)\n"
CLEAN = {"README.md": "# Smith and Jones (2017)\n\nDownload the dataset first.\n",
         "requirements.txt": "numpy==1.26.4\n", "seeds.py": SEEDED}
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2 + "Zq"


def review(make_submission, files: dict[str, str | bytes], name: str = "SmithJonesEtAl2017",
           config: Config | None = None) -> list[Finding]:
    submission: Submission = make_submission({**CLEAN, **files}, name=name)
    return run(submission, config or Config())


def coded(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def test_a_clean_submission_has_no_findings(make_submission) -> None:
    code = "import os\n\nROOT = os.path.dirname(__file__)\n"
    assert review(make_submission, {"model.py": code}) == []


def test_python2_module_is_said_plainly_with_its_line(make_submission) -> None:
    code = 'import os\n\nprint "training"\ntry:\n    os.remove("x")\nexcept OSError, e:\n    pass\n'
    [finding] = review(make_submission, {"train.py": code})
    assert (finding.code, finding.severity, finding.path, finding.line) == (
        "HYG001", Severity.ERROR, "train.py", 3)
    assert finding.message == ("train.py is Python 2 code (print statement at line 3; 1 more "
                               "Python 2 construct): port it to Python 3 (2to3 can help)")


def test_python2_except_clause_alone(make_submission) -> None:
    code = "try:\n    run()\nexcept ValueError, err:\n    pass\n"
    [finding] = coded(review(make_submission, {"util.py": code}), "HYG001")
    assert finding.line == 3 and "except X, e: clause at line 3" in finding.message


def test_python2_constructs_found_from_tokens() -> None:
    code = ("x = `y`\nif a <> b:\n    os.chmod(p, 0777)\nn = 10L\ns = ur'abc'\n"
            "exec \"code\"\nraise ValueError, 'bad'\nprint >>sys.stderr, 'x'\n")
    found = [(c.name, c.line) for c in python2_constructs(code)]
    assert found == [("backticks", 1), ("<> operator", 2), ("octal literal 0777", 3),
                     ("long integer 10L", 4), ("ur'' string prefix", 5),
                     ("exec statement", 6), ("raise E, message statement", 7),
                     ("print statement", 8)]
    assert python2_constructs("print('x')\nprint\nvalue = print\n") == []


def test_syntax_error_gives_line_and_reason(make_submission) -> None:
    [finding] = review(make_submission, {"model.py": "import os\n\ndef build(:\n    pass\n"})
    assert (finding.code, finding.severity, finding.line) == ("HYG002", Severity.ERROR, 3)
    assert finding.message == ("model.py does not parse as Python 3 (invalid syntax at line 3)")


def test_python2_notebook_points_at_the_cell(make_submission) -> None:
    text = notebook_json(nbformat.v4.new_markdown_cell("# Old"),
                         nbformat.v4.new_code_cell("import numpy as np\nnp.random.seed(1)"),
                         nbformat.v4.new_code_cell("x = 1\nprint x"))
    [finding] = review(make_submission, {"old.ipynb": text})
    assert (finding.code, finding.cell, finding.cell_line) == ("HYG001", 3, 2)
    assert finding.line == raw_line_of(text, '"print x"')
    assert "print statement at cell 3, line 2" in finding.message


def test_absolute_paths_in_strings_at_their_lines(make_submission) -> None:
    code = ('"""Reads /home/alice/notes in the docstring: not code."""\n'
            "import os\n\n"
            "DATA = '/home/alice/data'\n"
            "URL = 'https://example.org/home/alice'\n"
            "WEIGHTS = r'C:\\Users\\bob\\weights.h5'\n"
            "DRIVE = os.path.join('/content/drive/MyDrive', 'x')\n")
    findings = coded(review(make_submission, {"paths.py": code}), "HYG003")
    assert [(f.line, f.severity) for f in findings] == [(4, Severity.WARNING),
                                                       (6, Severity.WARNING),
                                                       (7, Severity.WARNING)]
    assert findings[0].message == ("paths.py hard-codes the absolute path '/home/alice/data' "
                                   "at line 4")


def test_committed_bytecode_checkpoints_data_and_binaries(make_submission) -> None:
    files = {"__pycache__/model.cpython-311.pyc": b"\x00\x01compiled",
             "model.h5": b"\x89HDF" + b"\x00" * 2_000_000,
             "weights/big.bin": b"\x00" * 1_500_000,
             "data/train.csv": "a,b\n" + "1,2\n" * 50_000,
             "results.csv": "optimizer,loss\nadam,0.27\n",
             "figure.png": b"\x89PNG" + b"\x00" * 500}
    findings = review(make_submission, files)
    assert sorted((f.code, f.path) for f in findings) == [
        ("HYG004", "__pycache__/model.cpython-311.pyc"), ("HYG005", "model.h5"),
        ("HYG006", "weights/big.bin"), ("HYG007", "data/train.csv")]
    [checkpoint] = coded(findings, "HYG005")
    assert checkpoint.message == "model.h5 is a model checkpoint (2.0 MB)"
    [binary] = coded(findings, "HYG006")
    assert binary.message == "weights/big.bin is a 1.5 MB binary file, over 1.0 MB"


def test_binary_limit_is_configurable(make_submission) -> None:
    config = Config(max_binary_bytes=5_000_000)
    files = {"weights/big.bin": b"\x00" * 1_500_000}
    assert coded(review(make_submission, files, config=config), "HYG006") == []


def test_token_in_a_notebook_output_is_masked(make_submission) -> None:
    cell = nbformat.v4.new_code_cell("print(token)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text=f"using {GITHUB_TOKEN}\n")]
    text = notebook_json(nbformat.v4.new_markdown_cell("# Run"), cell)
    [finding] = review(make_submission, {"run.ipynb": text})
    assert (finding.code, finding.severity, finding.path, finding.cell) == (
        "HYG008", Severity.ERROR, "run.ipynb", 2)
    assert GITHUB_TOKEN not in finding.message and GITHUB_TOKEN[4:-2] not in finding.message
    assert finding.message == ("run.ipynb: the saved output of cell 2 shows a GitHub token "
                               "'ghp_…Zq' (46 characters)")


def test_secrets_in_code_and_text_files(make_submission) -> None:
    files = {"keys.py": "import os\n\nAWS = 'AKIAIOSFODNN7EXAMPLE'\n"
                        "WANDB_API_KEY = 'q8Zr7TnP2xLw9VbK4mYs'\n"
                        "max_tokens = 'abcd1234efgh5678ijkl'\n"
                        "api_key = os.environ['API_KEY']\n",
             ".env": "HF=hf_" + "x1Y2z3" * 6 + "\n",
             "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n"}
    findings = coded(review(make_submission, files), "HYG008")
    assert sorted((f.path, f.line) for f in findings) == [
        (".env", 1), ("deploy/id_rsa", 1), ("keys.py", 3), ("keys.py", 4)]
    messages = " ".join(f.message for f in findings)
    assert "AKIAIOSFODNN7EXAMPLE" not in messages and "q8Zr7TnP2xLw9VbK4mYs" not in messages
    assert "keys.py:4 holds a secret assigned to WANDB_API_KEY ('…Ys', 20 characters)" in messages


def test_missing_requirements(make_submission) -> None:
    submission = make_submission({"README.md": "# x\n\nDownload data.\n", "seeds.py": SEEDED})
    [finding] = run(submission, Config())
    assert (finding.code, finding.severity, finding.path) == ("HYG009", Severity.WARNING, None)


def test_unpinned_requirements_listed_with_lines(make_submission) -> None:
    requirements = "numpy\ntensorflow==2.15.0\n# plotting\nmatplotlib>=3.5\n-r extra.txt\n"
    [finding] = review(make_submission, {"requirements.txt": requirements})
    assert (finding.code, finding.severity, finding.path, finding.line) == (
        "HYG010", Severity.INFO, "requirements.txt", 1)
    assert finding.message == ("requirements.txt: 2 packages without an exact version: "
                               "numpy (line 1), matplotlib (line 4)")


def test_unpinned_conda_environment(make_submission) -> None:
    environment = ("name: dlc\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"
                   "  - numpy\n  - pip\n  - pip:\n    - torch==2.2.0\n")
    findings = coded(review(make_submission, {"environment.yml": environment}), "HYG010")
    assert [(f.path, f.line) for f in findings] == [("environment.yml", 6)]
    assert findings[0].message.endswith("numpy (line 6), pip (line 7)")


def test_download_without_readme_mention(make_submission) -> None:
    code = ("import urllib.request\n\n"
            "# urllib.request.urlretrieve(URL, 'old.zip')\n"
            "urllib.request.urlretrieve('https://example.org/ptb.zip', 'ptb.zip')\n")
    readme = {"README.md": "# Smith and Jones (2017)\n\nRun the notebook.\n"}
    [finding] = review(make_submission, {"fetch.py": code, **readme})
    assert (finding.code, finding.severity, finding.path, finding.line) == (
        "HYG011", Severity.WARNING, "fetch.py", 4)
    assert "urlretrieve" in finding.message


def test_notebook_wget_line_and_readme_mention(make_submission) -> None:
    text = notebook_json(nbformat.v4.new_markdown_cell("# Data"),
                         nbformat.v4.new_code_cell("import random\n!wget https://x.org/a.zip"))
    readme = {"README.md": "# Smith and Jones (2017)\n\nRun the notebook.\n"}
    [finding] = coded(review(make_submission, {"run.ipynb": text, **readme}), "HYG011")
    assert (finding.cell, finding.cell_line) == (2, 2)
    assert finding.line == raw_line_of(text, "!wget")
    assert coded(review(make_submission, {"run.ipynb": text}), "HYG011") == []


def test_randomness_without_seeds(make_submission) -> None:
    files = {"seeds.py": "VALUE = 1\n",
             "train.py": "import os\nimport torch\n\nnoise = torch.randn(3)\n"}
    [finding] = review(make_submission, files)
    assert (finding.code, finding.severity, finding.path, finding.line) == (
        "HYG012", Severity.WARNING, "train.py", 4)
    assert "'torch.randn(' at line 4" in finding.message
    seeded = {**files, "seeds.py": "import torch\n\ntorch.manual_seed(0)\n"}
    assert review(make_submission, seeded) == []


def test_a_local_seed_covers_only_its_own_file(make_submission) -> None:
    """One random_state=42 in one file does not seed the others (a real submission's case)."""
    files = {"seeds.py": "VALUE = 1\n",
             "split.py": "from sklearn.model_selection import train_test_split\n"
                         "a, b = train_test_split(x, random_state=42)\n",
             "data.py": "import numpy as np\n\nidx = np.random.permutation(10)\n",
             "aug.py": "import random\n\nflip = random.random() > 0.5\n"}
    [finding] = review(make_submission, files)
    assert (finding.code, finding.path, finding.line) == ("HYG012", "aug.py", 3)
    assert finding.message.startswith("2 file(s) draw random numbers with no seed set: aug.py")
    assert "also data.py" in finding.message and "split.py" not in finding.message


def test_folder_name_outside_convention(make_submission) -> None:
    [finding] = review(make_submission, {}, name="my_project")
    assert (finding.code, finding.severity) == ("HYG013", Severity.INFO)
    assert "'my_project'" in finding.message


def test_odd_input_never_crashes(make_submission) -> None:
    odd = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell("raw"),
                                          nbformat.v4.new_code_cell("%%bash\nls /home/x"),
                                          nbformat.v4.new_code_cell("")])
    files = {"empty.py": "", "blob.dat": b"\x00\xff" * 10, "odd.ipynb": nbformat.writes(odd),
             "nul.py": "x = 1\x00\n", "deep.py": "x = " + "(" * 300 + ")" * 300 + "\n"}
    findings = review(make_submission, files)  # nul.py is binary to the loader
    assert sorted((f.code, f.path) for f in findings) == [("HYG002", "deep.py")]
    [nul] = parse_problems([CodeUnit("nul.py", "x = 1\x00\n")])
    assert nul.code == "HYG002" and "null bytes" in nul.message


# --- modelled on course submissions -----------------------------------------------------

def test_no_code_at_all_is_an_error(make_submission) -> None:
    submission = make_submission({"README.md": "# A paper\n"}, name="Project_Catal")
    [finding] = coded(run(submission, Config()), "HYG014")
    assert (finding.severity, finding.path) == (Severity.ERROR, None)
    assert finding.message == ("the submission holds no code: no Python module and no "
                               "notebook with code cells")
    assert coded(review(make_submission, {}), "HYG014") == []  # CLEAN holds seeds.py


def test_code_saved_without_a_py_suffix_is_an_error(make_submission) -> None:
    script = ("import numpy as np\nimport torch\n\n!pip install torchinfo\n"
              "def train(model):\n    return model\n")
    submission = make_submission({"README.md": "# A paper\n", "Resnet18(SGD)": script,
                                  "notes.txt": "import this before that\n"}, name="Project_T")
    findings = run(submission, Config())
    [finding] = coded(findings, "HYG015")
    assert (finding.severity, finding.path) == (Severity.ERROR, "Resnet18(SGD)")
    assert "has no .py suffix" in finding.message
    assert coded(findings, "HYG014") == []


def test_absolute_paths_are_one_finding_per_prefix(make_submission) -> None:
    code = "".join(f"P{i} = '/content/gdrive/MyDrive/run{i}.pt'\n" for i in range(5))
    code += "LOG = '/tmp/experiment/log.txt'\n"
    findings = coded(review(make_submission, {"paths.py": code}), "HYG003")
    assert [(f.line, f.path) for f in findings] == [(1, "paths.py"), (6, "paths.py")]
    assert findings[0].message == (
        "paths.py hard-codes 5 hard-coded absolute paths under /content/gdrive (paths.py line 1, "
        "paths.py line 2, paths.py line 3 and 2 more)")
    assert "'/tmp/experiment/log.txt' at line 6" in findings[1].message


def test_a_secret_with_example_or_here_in_it_is_found(make_submission) -> None:
    files = {"config.py": "API_KEY = 'k3yExample9Zq8hereW7x6V5u4'\n"
                          "TOKEN = 'YOUR_TOKEN_HERE_PLEASE_1234'\n"
                          "SECRET = '<paste-your-secret-here-123>'\n"}
    [finding] = coded(review(make_submission, files), "HYG008")
    assert (finding.path, finding.line) == ("config.py", 1)


def test_the_detect_secrets_catalogue_finds_service_tokens(make_submission) -> None:
    stripe = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    files = {"pay.py": f"client = make_client('{stripe}')\n"}
    [finding] = coded(review(make_submission, files), "HYG008")
    assert (finding.path, finding.line) == ("pay.py", 1)
    assert "Stripe" in finding.message and stripe not in finding.message


def test_requirements_read_as_pip_reads_them(make_submission) -> None:
    text = ("numpy==2.*\ntorch[cuda]==2.1.0 ; python_version >= '3.9'\npip install scipy\n"
            "import pandas\njson\npathlib\nPIL==9.0\nsklearn\npytorch\n")
    findings = review(make_submission, {"requirements.txt": text})
    [unreadable] = coded(findings, "HYG016")
    assert unreadable.line == 3
    assert unreadable.message == ("requirements.txt: 2 lines pip cannot read as a requirement: "
                                  "'pip install scipy' (line 3), 'import pandas' (line 4)")
    [names] = coded(findings, "HYG017")
    assert names.line == 5
    assert ("json (standard library: drop it) at line 5, pathlib (standard library: drop it) at "
            "line 6, PIL (write Pillow) at line 7, sklearn (write scikit-learn) at line 8 and 1 "
            "more") in names.message
    [unpinned] = coded(findings, "HYG010")
    assert "(line 1)" not in unpinned.message and "(line 2)" not in unpinned.message
    assert "sklearn (line 8)" in unpinned.message


def test_what_a_notebook_needs_to_run_is_not_a_dump(make_submission) -> None:
    text = "tensorflow==2.21.0\nnumpy==2.4.6\nipykernel==7.4.0\nnbconvert==7.17.2\n"
    assert not coded(review(make_submission, {"requirements.txt": text}), "HYG018")


def test_an_environment_dump_is_reported(make_submission) -> None:
    text = "".join(f"package{i}==1.{i}\n" for i in range(70))
    text += "jupyterlab==3.4.0\nipykernel==6.15.0\nnvidia-cudnn-cu11==8.5.0.96\n"
    text += "mkl-service @ file:///tmp/build/80754af9/mkl-service_1626179413549/work\n"
    [finding] = coded(review(make_submission, {"requirements.txt": text}), "HYG018")
    assert finding.line == 71
    assert finding.message == (
        "requirements.txt looks like an environment dump (74 packages; environment packages "
        "such as jupyterlab, ipykernel, nvidia-cudnn-cu11; 1 local file path(s) (line 74))")


def test_data_under_unusual_suffixes_is_data(make_submission) -> None:
    sentences = "the movie was fine and the plot was thin .\n" * 4000
    files = {"dataset/rt-polarity.neg": sentences, "dataset/loader.py": "X = 1\n",
             "notes/long.txt": sentences}
    findings = coded(review(make_submission, files), "HYG007")
    assert [f.path for f in findings] == ["dataset/rt-polarity.neg"]
    assert "is a data file (172 kB, over 100 kB)" in findings[0].message
