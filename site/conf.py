"""Sphinx configuration of the rendered site: the notebooks, executed, with their figures.

Built by ``bash scripts/site`` (see scripts/build_site.py), which first executes every
notebook into the build's source folder; Sphinx itself executes nothing.
"""

from pathlib import Path

project = "PayGap hackathon starter"
author = "PayGap hackathon starter contributors"
copyright = "PayGap hackathon starter contributors. Data: Open Government Licence v3.0"

extensions = ["myst_nb", "sphinx_design"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "README.md",
    "_notebooks.md",
    ".doctrees",
    "_gallery",
]
# The notebooks arrive executed: showing their outputs is all that is left to do.
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "PayGap hackathon starter"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    # No search-engine or analytics scripts, and nothing else loaded from elsewhere.
    "use_repository_button": False,
}
# Light unless the reader chose otherwise; without it the theme logs an error on first visit.
html_context = {"default_mode": "light"}
html_last_updated_fmt = "%Y-%m-%d"
# The gallery (python -m paygap_utils gallery --out _gallery), copied as it is: gallery.html,
# entries/, thumbnails/ and slides/ at the site's root. Not a source: Sphinx reads none of it.
html_extra_path = [p for p in ["_gallery"] if (Path(__file__).parent / p).is_dir()]
