"""README opens with the two commands, and .ci/run runs the test command exactly as written."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_main_job_and_test_command():
    main_job, test_command = _commands()
    assert "solverkit bench --quick" in main_job and "requirements-demo.txt" in main_job
    assert "tox" in test_command


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci


def test_demo_requirements_list_every_plugin():
    lines = (ROOT / "requirements-demo.txt").read_text(encoding="utf-8").splitlines()
    listed = {re.sub(r"\[.*\]$", "", ln.strip()) for ln in lines if ln.startswith("./plugins/")}
    present = {f"./plugins/{p.name}" for p in (ROOT / "plugins").iterdir() if p.is_dir()}
    assert listed == present
