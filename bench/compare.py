"""Two revisions' invoke path, measured in turn in the same run: `bench/compare.py BEFORE [AFTER]`.

Checks both out into temporary worktrees (AFTER defaults to the working tree as it is),
runs bench/inprocess.py on each, alternating, for --rounds rounds, and prints each figure
and the ratio AFTER / BEFORE of the medians. The machine is shared and noisy: the ratio of
interleaved runs is the figure to quote, never one run's rate.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _checkout(revision: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", "-f", str(into), revision], cwd=REPO, check=True,
                   capture_output=True)  # fmt: skip
    return into


def _measure(checkout: Path, invocations: int) -> float:
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "inprocess.py"), "--checkout", str(checkout),
         "--invocations", str(invocations)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(run.stdout.strip().splitlines()[-1])["invocations_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after", nargs="?")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invocations", type=int, default=1500)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gateway-compare-"))
    sides = {"before": _checkout(options.before, workdir / "before")}
    sides["after"] = _checkout(options.after, workdir / "after") if options.after else REPO
    figures: dict[str, list[float]] = {"before": [], "after": []}
    try:
        for round_number in range(1, options.rounds + 1):
            for side, checkout in sides.items():
                figures[side].append(_measure(checkout, options.invocations))
                print(f"round {round_number} {side:6} {figures[side][-1]:8.0f} invocations/s", flush=True)
    finally:
        for checkout in sides.values():
            if checkout != REPO:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=REPO, check=False)
    ratio = statistics.median(figures["after"]) / statistics.median(figures["before"])
    print(f"after / before (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
