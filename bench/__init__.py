"""Speed and memory measurements: ``python -m bench.data_layer``, ``python -m bench.notebooks``."""
