"""docs/permissions.md is generated from the code and must stay true (issue 8 §2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location(
        "permissions_doc", ROOT / "scripts/permissions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ms_8_3_permissions_doc_matches_the_code():
    """MS-8.3 / MS-7 (who may evict, ban, approve): the committed role × action table is what
    the code grants today."""
    generator = _generator()
    committed = generator.OUTPUT.read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "docs/permissions.md is out of date: run `python scripts/permissions.py` and commit it"
    )


def test_permissions_doc_names_every_role_and_the_severe_actions():
    """The table is not empty: every role has a column, the second approval is the lead's."""
    from marketplace import roles

    text = _generator().render()
    for name in roles.ROLE_NAMES.values():
        assert name in text
    approve = next(line for line in text.splitlines() if "`approve` | Second approval" in line)
    cells = [c.strip() for c in approve.strip("|").split("|")][-len(roles.ROLE_NAMES) :]
    lead = list(roles.ROLE_NAMES).index(roles.COMPLIANCE_LEAD)
    assert cells[lead] == "✓" and cells.count("✓") == 1


def test_generator_output_is_deterministic():
    generator = _generator()
    assert generator.render() == generator.render()
