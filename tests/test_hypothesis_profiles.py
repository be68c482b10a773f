"""The property tests draw new examples each run, from a seed the run prints, with health checks on."""

from __future__ import annotations

import hypothesis.core
import pytest
from hypothesis import find, given, seed, settings
from hypothesis import strategies as st

from tests import hypothesis_profiles
from tests.hypothesis_profiles import DEFAULT, THOROUGH, examples
from tests.test_fuzz_input import FORMS, RUNS, TEXTS


def test_the_suite_runs_a_random_seed_it_prints(pytestconfig: pytest.Config) -> None:
    """Even under CI (hypothesis' own `ci` profile would derandomize): one seed for the whole run, shared by
    every xdist worker, and named in the header for `--hypothesis-seed` to replay."""
    chosen = pytestconfig.getoption("hypothesis_seed")
    assert chosen is not None
    assert hypothesis.core.global_force_seed == int(chosen)
    assert f"--hypothesis-seed={chosen}" in hypothesis_profiles.header(pytestconfig)
    assert settings.get_current_profile_name() in (DEFAULT, THOROUGH)
    assert settings.default.derandomize is False


@pytest.mark.parametrize("name", ["suite", "RUNS", "FORMS"])
def test_health_checks_are_on(name: str) -> None:
    used = {"suite": settings.default, "RUNS": RUNS, "FORMS": FORMS}[name]
    assert tuple(used.suppress_health_check) == ()
    assert used.derandomize is False


def test_thorough_tries_ten_times_as_many_examples() -> None:
    current = settings.get_current_profile_name()
    try:
        settings.load_profile(THOROUGH)
        assert examples(30) == 300
        settings.load_profile(DEFAULT)
        assert examples(30) == 30
    finally:
        settings.load_profile(current)


def test_fuzz_texts_are_cheap_to_generate_under_health_checks() -> None:
    """Four texts at once, as a form with several fields draws them, within hypothesis' entropy and time
    budgets (its health checks), whatever the seed."""

    for one_seed in range(8):

        @seed(one_seed)
        @settings(max_examples=30)
        @given(texts=st.lists(TEXTS, min_size=4, max_size=4))
        def draw(texts: list[str]) -> None:
            assert all(isinstance(text, str) for text in texts)

        draw()
    # and they still reach the sizes that matter: past what a post's section holds, dense with escapes
    assert len(find(TEXTS, lambda text: len(text) > 3000)) > 3000
    assert find(TEXTS, lambda text: text.count("<!channel>") > 100).count("<!channel>") > 100
