"""doc/reliability.md and test/reliability/ name the same cases."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def doc_cases() -> set:
    """The names in the last column of every table row of doc/reliability.md."""
    names = set()
    for line in (ROOT / "doc" / "reliability.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 1 and cells[-1] != "test" and not set(cells[-1]) <= set("- "):
            names |= set(re.findall(r"`([^`]+)`", cells[-1]))
    return names


def cases_in_tests() -> set:
    """Test functions and parametrize ids of test/reliability/."""
    from .test_untrusted_packs import HOSTILE

    names = set(HOSTILE)
    for path in (ROOT / "test" / "reliability").glob("test_*.py"):
        text = path.read_text()
        names |= set(re.findall(r"^def (test_\w+)", text, flags=re.M))
        for ids in re.findall(r"ids=\[([^\]]*)\]", text):
            names |= set(re.findall(r'"([^"]+)"', ids))
    return names - {"test_every_case_of_the_table_is_a_test_and_back"}


def test_every_case_of_the_table_is_a_test_and_back():
    documented, tested = doc_cases(), cases_in_tests()
    assert documented, "no table rows found"
    assert documented <= tested, f"in doc/reliability.md but not tested: {sorted(documented - tested)}"
    parametrized_tests = {"test_converter_refuses_with_one_clear_error", "test_hostile_packs_are_refused",
                          "test_a_config_naming_a_class_outside_the_registries_is_refused",
                          "test_an_impossible_mel_setting_is_refused_naming_it",
                          "test_an_impossible_network_setting_is_refused"}  # their ids are listed
    assert tested - parametrized_tests <= documented, f"tested but not in the table: {sorted(tested - documented)}"
