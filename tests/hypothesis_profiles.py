"""How hard the property tests (hypothesis) try, and with which seed.

- Every run draws its examples from a random seed, printed in pytest's header (and again after a
  failure): `pytest --hypothesis-seed=N` replays that run's examples. A seed given on the command line
  is used as is. Under pytest-xdist the workers all get the controller's seed.
- Profiles: `mindset` (the suite and CI, the default: each test's own number of examples) and
  `thorough` (ten times as many), chosen with `HYPOTHESIS_PROFILE=thorough` or
  `--hypothesis-profile=thorough`. Either replaces hypothesis' own `ci` profile, which it loads when
  `CI` is set and which would run the same examples every time (`derandomize`).
- Health checks are on: a strategy too slow or too large to generate is fixed, not silenced.
- No deadline: a slow example on a busy machine is not a failure (timings are for bench/).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import settings

DEFAULT, THOROUGH = "mindset", "thorough"
SCALE = {DEFAULT: 1, THOROUGH: 10}
SEED_OPTION = "hypothesis_seed"  # --hypothesis-seed, hypothesis' own pytest option
PROFILE_OPTION = "hypothesis_profile"  # --hypothesis-profile
PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"

for name, scale in SCALE.items():
    settings.register_profile(
        name,
        max_examples=100 * scale,
        derandomize=False,
        deadline=None,
        database=None,  # the seed replays a run; no examples kept between runs
        print_blob=True,  # a failure also prints @reproduce_failure(...) for its one example
        suppress_health_check=(),
    )


def examples(count: int) -> int:
    """A test's number of examples under the loaded profile (`count` in the default one)."""
    return count * SCALE.get(settings.get_current_profile_name(), 1)


def choose(config: pytest.Config, profile_from_environment: str | None) -> None:
    """Before hypothesis' own plugin reads them: the profile, and the seed of this run (the
    controller's, in an xdist worker; a new random one when none was given)."""
    profile = config.getoption(PROFILE_OPTION) or profile_from_environment or DEFAULT
    if profile not in SCALE:
        raise pytest.UsageError(f"the hypothesis profile must be one of {', '.join(SCALE)}, not {profile!r}")
    config.option.hypothesis_profile = profile
    seed = config.getoption(SEED_OPTION)
    worker = getattr(config, "workerinput", None)
    if seed is None and worker is not None:
        seed = worker.get(SEED_OPTION)
    if seed is None:
        seed = str(random.SystemRandom().randrange(2**32))
    config.option.hypothesis_seed = str(seed)


def seed(config: pytest.Config) -> str:
    return str(config.getoption(SEED_OPTION))


def header(config: pytest.Config) -> str:
    profile = config.getoption(PROFILE_OPTION) or DEFAULT
    return f"hypothesis seed {seed(config)} (replay: --hypothesis-seed={seed(config)}), profile {profile}"
