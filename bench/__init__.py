"""Benchmarks: commands that print figures (`make bench`, i.e. `python -m bench`).

piccolo_conf picks its engine from DATABASE_URL when it is imported, so each
benchmark runs once per backend in its own process (`python -m bench.engine
--backend sqlite`), prints its figures as one JSON object on stdout, and the
parent merges them into bench/results.json under the backend's name."""
