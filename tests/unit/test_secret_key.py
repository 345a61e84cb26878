"""The generated SECRET_KEY file: private from its first byte, and one key however many
processes (web server, worker) start together on a fresh install."""

import multiprocessing
import os
import stat

from app.settings import key_file

PROCESSES = 24


def _start(path, barrier, keys):
    barrier.wait()  # every process asks for the key at the same moment
    keys.put(key_file(path))


def test_processes_starting_together_agree_on_one_private_key(tmp_path):
    path = tmp_path / "var" / "secret_key"
    context = multiprocessing.get_context("fork")
    barrier, keys = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_start, args=(path, barrier, keys)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    seen = {keys.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(seen) == 1 and len(seen.pop()) >= 48
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(path.parent) == ["secret_key"]  # no draft left behind


def test_the_key_is_never_readable_by_others_even_while_written(tmp_path, monkeypatch):
    """The draft is created 0600 (not under the umask's 0644, then chmod-ed)."""
    modes = []
    real_fdopen = os.fdopen

    def spy(descriptor, *args, **kwargs):
        modes.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
        return real_fdopen(descriptor, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", spy)
    key_file(tmp_path / "secret_key")
    assert modes == [0o600]


def test_an_existing_key_is_kept(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("kept-key-0123456789\n")
    assert key_file(path) == "kept-key-0123456789"
