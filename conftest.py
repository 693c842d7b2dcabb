"""The tests' set-up is the plugin tests/plugin.py: data folder, mirror, notebook kernels."""

pytest_plugins = ["tests.plugin"]
