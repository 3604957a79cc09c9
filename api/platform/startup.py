"""What a serving process does once it has started."""

from __future__ import annotations

import gc


def freeze_after_start_up() -> None:
    """`gc.freeze()` what start-up made (modules, the app, SQLAlchemy's and pydantic's caches:
    about 250,000 objects), so that the collector's full passes, which would otherwise walk all
    of it every few hundred requests (a pause of 100 ms and more; see the README, Performance), skip
    it. Collect first: garbage that is frozen is never freed. For serving processes only
    (`lantern serve`, `lantern worker`), not for tests that build many apps in one process.
    """
    gc.collect()
    gc.freeze()
