"""Mutation check for the audit HMACs: leave each hashed field out in turn; the audit tests must notice.

For every field of audit.chain.CHAINED_FIELDS (the current chain version's) and SEALED_FIELDS,
runs the audit tests with that one field left out of the tuple the HMAC reads, and reports whether at least one test
failed, and which. The mutation lives in a throwaway pytest plugin written to a temporary
directory and loaded with `-p`: for each test it monkeypatches the current version's field list
(CHAIN_VERSIONS, SEAL_VERSIONS) in audit.chain, which audit_row_hash / audit_seal_hash read at
call time. Writers and verification still store and
read every column; only the hash stops covering the field, as if someone deleted it from the
tuple. Nothing in the project changes.

    .venv/bin/python scripts/mutation_check_chain.py [pytest paths or node ids ...]

Runs on whatever database DATABASE_URL names (SQLite by default); GATEWAY_TEST_DB_SUFFIX is
passed through (default `_mutation`, so it does not share a test database with another run).
First runs the tests unmutated: they must pass, or no failure would mean anything.
Exits 0 when every field is caught, 1 when one is not, 2 when a run could not be judged.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET  # noqa: S405 - reads the junit file pytest just wrote
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.chain import CHAINED_FIELDS, SEALED_FIELDS  # noqa: E402 - needs the repo on sys.path

DEFAULT_TESTS = (
    "audit/tests/test_verification_fields.py",  # one tamper case per hashed field
    "audit/tests/test_verification.py",  # the older tamper tests
    "audit/tests/test_chain.py",  # the known-answer vectors
)
KNOWN_ANSWER_MODULE = "test_chain"
# test_verification_fields.py's per-field cases, named after the field ("[outcome]", "[user_id-none]").
OWN_CASES = {"CHAINED_FIELDS": "TestEveryChainedField::", "SEALED_FIELDS": "TestEverySealedField::"}
PLUGIN_NAME = "audit_hash_mutation"
MUTATION_VARIABLE = "AUDIT_HASH_MUTATION"
# Where the plugin notes each test it mutated, so that "nothing failed" cannot mean "nothing was mutated".
MUTATION_LOG_VARIABLE = "AUDIT_HASH_MUTATION_LOG"
PLUGIN_SOURCE = f'''
"""Written by scripts/mutation_check_chain.py: hash without one field, for every test."""

import os

import pytest


@pytest.fixture(autouse=True)
def audit_hash_without_one_field(monkeypatch):
    tuple_name, dropped = os.environ["{MUTATION_VARIABLE}"].split(":")
    from audit import chain

    hashed = getattr(chain, tuple_name)
    assert dropped in hashed, f"{{dropped}} is not in audit.chain.{{tuple_name}}"
    without = tuple(name for name in hashed if name != dropped)
    # Rows and seals hash the field list of their own version: drop the field from the current version's.
    if tuple_name == "CHAINED_FIELDS":
        monkeypatch.setattr(chain, "CHAIN_VERSIONS", {{**chain.CHAIN_VERSIONS, chain.CHAIN_VERSION: without}})
    else:
        monkeypatch.setattr(chain, "SEAL_VERSIONS", {{**chain.SEAL_VERSIONS, chain.SEAL_VERSION: without}})
    with open(os.environ["{MUTATION_LOG_VARIABLE}"], "a") as log:
        log.write(f"{{tuple_name}}:{{dropped}}\\n")
'''


@dataclass
class Outcome:
    exit_code: int
    failed: list[str] = field(default_factory=list)  # test ids that failed or errored
    passed: int = 0
    mutated: int | None = None  # tests the plugin mutated; None when no mutation was asked for
    reported: bool = False

    @property
    def judged(self) -> bool:
        """Whether the run says anything: it ended normally (0 all passed, 1 some failed, never a
        collection error or crash), its report agrees, and every test that passed was mutated."""
        agrees = self.reported and self.exit_code in (0, 1) and (self.exit_code == 1) == bool(self.failed)
        return agrees and (self.mutated is None or self.mutated >= self.passed)


def run_tests(tests: list[str], plugin_dir: Path, mutation: str | None) -> Outcome:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin_dir), os.environ.get("PYTHONPATH")])),
        }
        env.setdefault("GATEWAY_TEST_DB_SUFFIX", "_mutation")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml", str(report)]
        mutation_log = Path(scratch) / "mutated.txt"
        if mutation:
            env[MUTATION_VARIABLE] = mutation
            env[MUTATION_LOG_VARIABLE] = str(mutation_log)
            command += ["-p", PLUGIN_NAME]
        completed = subprocess.run([*command, *tests], cwd=REPO, env=env, capture_output=True, text=True)  # noqa: S603
        outcome = Outcome(completed.returncode, reported=report.exists())
        if mutation:
            lines = mutation_log.read_text().splitlines() if mutation_log.exists() else []
            outcome.mutated = lines.count(mutation)
        for case in ET.parse(report).getroot().iter("testcase") if outcome.reported else ():  # noqa: S314 - our own file
            if case.find("failure") is not None or case.find("error") is not None:
                module_and_class = case.get("classname", "").split(".")
                outcome.failed.append("::".join([*module_and_class[2:], case.get("name", "")]))
            elif case.find("skipped") is None:
                outcome.passed += 1
        if not outcome.judged:
            sys.stderr.write(f"{mutation}: {outcome}\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}\n")
        return outcome


def sort_failures(failed: list[str], tuple_name: str, name: str) -> tuple[list[str], list[str], list[str]]:
    """Split failed test ids: the field's own per-field cases, other tamper tests, known-answer tests."""
    own_class = OWN_CASES[tuple_name]
    own, others, known = [], [], []
    for test in failed:
        module, _, rest = test.partition("::")
        parameter = rest.partition("[")[2].rstrip("]")
        if module == KNOWN_ANSWER_MODULE:
            known.append(rest)
        elif rest.startswith(own_class) and (parameter == name or parameter.startswith(f"{name}-")):
            own.append(f"[{parameter}]")
        else:
            others.append(test)
    return own, others, known


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tests", nargs="*", default=list(DEFAULT_TESTS), help="pytest paths (default: the audit ones)")
    tests = parser.parse_args().tests
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"

    with tempfile.TemporaryDirectory() as plugin_dir:
        (Path(plugin_dir) / f"{PLUGIN_NAME}.py").write_text(PLUGIN_SOURCE)

        baseline = run_tests(tests, Path(plugin_dir), None)
        if baseline.exit_code != 0:
            print(f"The unmutated tests do not pass on {database} (exit {baseline.exit_code}): {baseline.failed}")
            return 2
        print(f"{database}: {baseline.passed} tests pass unmutated; now without one hashed field at a time.\n")

        print("| tuple | field | caught | its own tamper cases | other tamper tests failed | known-answer failed |")
        print("|---|---|---|---|---|---|")
        uncaught, unjudged, own_case_silent = [], [], []
        for tuple_name, fields in (("CHAINED_FIELDS", CHAINED_FIELDS), ("SEALED_FIELDS", SEALED_FIELDS)):
            for name in fields:
                outcome = run_tests(tests, Path(plugin_dir), f"{tuple_name}:{name}")
                own, others, known = sort_failures(outcome.failed, tuple_name, name)
                if not outcome.judged:
                    verdict = f"not judged (exit {outcome.exit_code})"
                    unjudged.append(name)
                elif outcome.failed:
                    verdict = "yes"
                else:
                    verdict = "**NO**"
                    uncaught.append(f"{tuple_name}.{name}")
                if outcome.judged and not own:
                    own_case_silent.append(f"{tuple_name}.{name}")
                columns = [tuple_name, name, verdict, ", ".join(own) or "-", ", ".join(others) or "-", str(len(known))]
                print(f"| {' | '.join(columns)} |")
                sys.stdout.flush()

    print()
    if own_case_silent:
        print(f"Warning: the field's own tamper case did not fail for {', '.join(own_case_silent)}")
    if unjudged:
        print(f"Could not judge: {', '.join(unjudged)}")
        return 2
    if uncaught:
        print(f"Not caught by any test: {', '.join(uncaught)}")
        return 1
    print(f"Every hashed field is caught on {database}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
