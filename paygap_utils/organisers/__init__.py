"""What organisers run: the data's pins, exports, Datasette, teams' entries, the gallery, slides.

Attendees' notebooks never import this subpackage; the commands are in
``python -m paygap_utils`` (see :mod:`paygap_utils.cli`).
"""

__all__: list[str] = []
