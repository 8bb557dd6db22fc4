"""Figures (not a test): how many outage notices end right, on our corpus and on the shared one.

    .venv/bin/python scripts/outage_score.py [--zero-config] [--explain-wrong]

A notice is right when, after it and the emails before it of its lifecycle, the folded state (the one
NetBox is written from: ingestor.netbox.fold) has the expected status, start, ETR, end and circuits. A
lifecycle is right when all its notices are and its emails in reverse order fold to the same final
state. Also prints how many ambiguous dates a rule decided, and with which rule. Pure: no NetBox.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from functools import cache
from itertools import groupby
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingestor.netbox.fold import fold  # noqa: E402
from parsers import ParserOptions, parse_email  # noqa: E402
from tests.outage_corpus import CORPUS, WORLD, expected_state, lifecycles, state_of  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus" / "outages"


def ours(corpus: Path = CORPUS) -> list[tuple[str, list[tuple[Path, dict]]]]:
    return [(life.name, [(life.path(step), step) for step in life.steps]) for life in lifecycles(corpus)]


def shared() -> list[tuple[str, list[tuple[Path, dict]]]]:
    manifest = SHARED / "manifest.json"
    if not manifest.exists():
        return []
    entries = json.loads(manifest.read_text())
    groups = groupby(entries, key=lambda e: (e["provider"], e["event_id"]))
    return [(f"{p}/{e}", [(SHARED / s["file"], s) for s in steps]) for (p, e), steps in groups]


@cache
def world_classes(life: str) -> list[str]:
    """The classes of issue 17 a lifecycle of the second corpus belongs to (for the figures by class)."""
    from tests.corpus.outages_world.generate import CARRIERS

    styles = {found.name: found.style for found in lifecycles(WORLD)}
    carrier = CARRIERS.get(styles.get(life, ""))
    if carrier is None:
        return []
    found = [f"language {carrier.language}" if carrier.language != "en" else "English"]
    found += [f"circuits as {carrier.circuits}"] if "table" in carrier.circuits else []
    found += ["replies quoting the first notice"] if carrier.quote else []
    return found


def score(name: str, cases, options: ParserOptions, explain: bool, rules: Counter) -> None:
    right = total = lives_right = 0
    by_class: dict[str, Counter] = {}
    for life, steps in cases:
        notices, life_ok = [], True
        for path, step in steps:
            total += 1
            result = parse_email(path.read_bytes(), options)
            notices += [n for n in result.notices if n.kind == "outage"]
            for notice in result.notices:
                rules.update(w.split(": ", 2)[-1] for w in getattr(notice, "warnings", []))
            got = state_of(fold(notices)) if notices else {"outcome": result.status, "reason": result.reason}
            ok = got == expected_state(step)
            right += ok
            life_ok &= ok
            for kind in world_classes(life):
                by_class.setdefault(kind, Counter()).update(right=ok, total=1)
            if not ok and explain:
                print(f"  wrong {life}/{path.name}: got {got}\n        want {expected_state(step)}")
        reverse = [n for path, _ in reversed(steps) for n in parse_email(path.read_bytes(), options).notices]
        life_ok &= bool(reverse) and state_of(fold(reverse)) == expected_state(steps[-1][1])
        lives_right += life_ok
        if not life_ok and explain:
            print(f"  lifecycle wrong: {life}")
    print(f"{name}: notices right {right}/{total}, lifecycles right {lives_right}/{len(cases)}")
    for kind, counts in sorted(by_class.items()):
        print(f"  {kind}: notices right {counts['right']}/{counts['total']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain-wrong", action="store_true", help="show each wrong notice")
    args = parser.parse_args()
    options = ParserOptions()  # zero config
    rules: Counter[str] = Counter()
    score("our corpus (tests/corpus/outages)", ours(), options, args.explain_wrong, rules)
    score("issue 17 corpus (tests/corpus/outages_world)", ours(WORLD), options, args.explain_wrong, rules)
    if shared():
        score("shared corpus (../shared/corpus/outages)", shared(), options, args.explain_wrong, rules)
    for rule, count in rules.most_common():
        print(f"  ambiguous dates decided by rule {rule!r}: {count}")


if __name__ == "__main__":
    main()
