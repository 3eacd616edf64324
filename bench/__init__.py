"""The benchmark: `python -m bench` (quick) or `python -m bench --full`. See bench/README.md."""
