"""How the data arrives: the manifest, downloads and checks, cleaning, the cache, :func:`load`.

Notebooks use :func:`paygap_utils.load` and :func:`paygap_utils.columns`; the modules here
are what those are made of.
"""

__all__: list[str] = []
