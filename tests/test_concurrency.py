"""One tokenizer shared by many threads gives the sequential results; a
forked child (after the parent used the thread pool) works and does not
deadlock; pickling carries a tokenizer to a spawned process."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from typing import Any, List

import pytest

import fasttok

from conftest import corpus_docs, find_data, gpt2_tokenizer_json


def sample_texts() -> List[str]:
    docs = corpus_docs("multi", 40, seed=3) or []
    p = find_data("sample/kjv-genesis.txt")
    if p is not None:
        docs += p.read_text(encoding="utf-8").split("\n")[:200]
    return docs or ["hello world"] * 50


@pytest.fixture(scope="module")
def tok() -> fasttok.Tokenizer:
    src = gpt2_tokenizer_json()
    if src is None:
        pytest.skip("GPT-2 files not found")
    return fasttok.Tokenizer.from_str(src)


def test_threads_share_one_tokenizer(tok: fasttok.Tokenizer) -> None:
    texts = sample_texts()
    expected = [tok.encode(t).ids for t in texts]
    expected_dec = [tok.decode(ids) for ids in expected]
    errors: List[BaseException] = []
    barrier = threading.Barrier(32)

    def work(k: int) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                if k % 3 == 0:
                    assert [e.ids for e in tok.encode_batch(texts)] == expected
                elif k % 3 == 1:
                    assert [tok.encode(t).ids for t in texts] == expected
                else:
                    assert tok.decode_batch(expected) == expected_dec
        except BaseException as e:  # noqa: BLE001 - report any failure
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors[0]


def test_setters_while_other_threads_encode(tok: fasttok.Tokenizer) -> None:
    """Changing padding while other threads encode never raises
    "already borrowed"-style errors."""
    t = fasttok.Tokenizer.from_str(tok.to_str())
    texts = sample_texts()[:50]
    stop = threading.Event()
    errors: List[BaseException] = []

    def encoder() -> None:
        try:
            while not stop.is_set():
                t.encode_batch(texts)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    workers = [threading.Thread(target=encoder) for _ in range(4)]
    for w in workers:
        w.start()
    for i in range(200):
        if i % 2:
            t.enable_padding(pad_id=0)
        else:
            t.no_padding()
    stop.set()
    for w in workers:
        w.join(timeout=60)
    assert not errors, errors[0]


def test_batch_list_changed_while_encoding(tok: fasttok.Tokenizer) -> None:
    """A batch's list emptied and refilled by another thread while the batch
    runs (its GIL released): the batch sees the texts it was given, each kept
    alive for the whole call. The other thread drops the old strs and fills
    the memory they held with different text of the same length, so a text
    read after it was let go gives other ids."""

    texts = [t for t in sample_texts()[:300] if t]
    expected = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    shared = list(texts)
    stop = threading.Event()

    def churn() -> None:
        junk: List[str] = []
        while not stop.is_set():
            for i, t in enumerate(texts):
                shared[i] = t[::-1][::-1]  # a new str, same text: the old one is freed
                junk.append("#" * len(t))  # ...and its memory reused
            junk.clear()

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(40):
            flat, starts = tok.encode_batch_ids(shared, add_special_tokens=False)
            got = [flat[starts[i] : starts[i + 1]].tolist() for i in range(len(texts))]
            assert got == expected, "a batch gave other ids than its texts"
    finally:
        stop.set()
        worker.join(timeout=60)


def _child_encode(src: str, texts: List[str], q: Any) -> None:
    t = fasttok.Tokenizer.from_str(src)
    q.put([e.ids for e in t.encode_batch(texts)])


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_fork_after_parallel_use(tok: fasttok.Tokenizer) -> None:
    texts = sample_texts()
    expected = [e.ids for e in tok.encode_batch(texts)]  # starts the pool in the parent
    pid = os.fork()
    if pid == 0:  # child: the inherited tokenizer must work, in parallel, without deadlock
        try:
            ok = [e.ids for e in tok.encode_batch(texts)] == expected and fasttok.num_threads() >= 1
            os._exit(0 if ok else 1)
        except BaseException:  # noqa: BLE001
            os._exit(2)
    deadline_ok = _wait(pid, 60)
    assert deadline_ok == 0, f"forked child failed or hung (status {deadline_ok})"


def _wait(pid: int, seconds: float) -> int:
    import time

    end = time.time() + seconds
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -999


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing(tok: fasttok.Tokenizer, method: str) -> None:
    if method not in mp.get_all_start_methods():
        pytest.skip(f"{method} not available")
    texts = sample_texts()[:100]
    expected = [e.ids for e in tok.encode_batch(texts)]
    ctx = mp.get_context(method)
    q = ctx.Queue()
    p = ctx.Process(target=_child_encode, args=(tok.to_str(), texts, q))
    p.start()
    got = q.get(timeout=120)
    p.join(timeout=60)
    assert got == expected


def test_pickle_tokenizer_to_pool(tok: fasttok.Tokenizer) -> None:
    import pickle

    t2 = pickle.loads(pickle.dumps(tok))
    texts = sample_texts()[:20]
    assert [e.ids for e in t2.encode_batch(texts)] == [e.ids for e in tok.encode_batch(texts)]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"FASTTOK_NUM_THREADS": "1"}, 1),
        ({"FASTTOK_NUM_THREADS": "3"}, 3),
        ({"RAYON_NUM_THREADS": "2"}, 2),
        ({"TOKENIZERS_PARALLELISM": "false"}, 1),
    ],
)
def test_thread_count_from_environment(env: dict, expected: int) -> None:
    import subprocess

    clean = {k: v for k, v in os.environ.items() if k not in ("FASTTOK_NUM_THREADS", "RAYON_NUM_THREADS")}
    clean.pop("TOKENIZERS_PARALLELISM", None)
    clean.update(env)
    r = subprocess.run(
        [sys.executable, "-c", "import fasttok; print(fasttok.num_threads())"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == expected
