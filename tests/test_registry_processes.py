"""The registry with real processes: racing writers, a writer killed mid-save, tampering and a
corrupt index."""

import json, multiprocessing as mp, signal, subprocess, sys, textwrap
import pytest
from quantml.registry import ModelRegistry
from quantml.synth import synth_market
from quantml.trainer import train_model
from quantml.core import QuantmlError


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    "A registry holding one small model that other processes copy from."
    reg = ModelRegistry(tmp_path_factory.mktemp('src'))
    reg.save(
        train_model(
            synth_market(10, 300, seed=1, signal=1.0), cv_folds=0, baselines=False, num_threads=1
        )
    )
    return reg.root


def _saver(src, dst, q):
    try:
        q.put(ModelRegistry(dst).save(ModelRegistry(src).load('v1').model))
    except Exception as e:
        q.put(repr(e))


def test_eight_processes_saving_at_once_each_get_their_own_version(source, tmp_path):
    dst = tmp_path / 'race'
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    procs = [ctx.Process(target=_saver, args=(source, dst, q)) for _ in range(8)]
    for p in procs:
        p.start()
    got = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(got, key=lambda v: int(v[1:])) == [f'v{i}' for i in range(1, 9)], got
    idx = json.loads((dst / 'registry.json').read_text())  # valid JSON, every save recorded
    assert sorted(idx['versions']) == sorted(got) and idx['next_version'] == 9
    assert ModelRegistry(dst).verify()['ok']


CRASH = textwrap.dedent('''
    import os, signal, sys
    import quantml.registry as r
    point = sys.argv[3]
    if point == 'before-index':        # the model folder is in place, the index not yet written
        r.ModelRegistry._write_index = lambda self, idx: os.kill(os.getpid(), signal.SIGKILL)
    else:                              # half-way through writing the model folder
        real = r.write_atomic
        def write(path, data):
            if path.name == 'metadata.json': os.kill(os.getpid(), signal.SIGKILL)
            real(path, data)
        r.write_atomic = write
    r.ModelRegistry(sys.argv[2]).save(r.ModelRegistry(sys.argv[1]).load('v1').model)
''')


@pytest.mark.parametrize('point', ['before-index', 'mid-model'])
def test_a_writer_killed_mid_save_leaves_no_half_registered_version(source, tmp_path, point):
    dst = ModelRegistry(tmp_path / 'crash')
    dst.save(ModelRegistry(source).load('v1').model)  # v1, complete
    before = (dst.root / 'registry.json').read_text()
    r = subprocess.run(
        [sys.executable, '-c', CRASH, str(source), str(dst.root), point],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert (dst.root / 'registry.json').read_text() == before  # the index is as it was
    # nothing half-registered is visible
    assert [m['version'] for m in dst.list_versions()['models']] == ['v1']
    assert dst.load().version == 'v1' and dst.verify('v1')['ok']
    # what the crash left is reported ...
    assert dst.verify()['unregistered_folders']
    # ... and its number is not reused
    new = dst.save(ModelRegistry(source).load('v1').model)
    assert new == ('v3' if point == 'before-index' else 'v2') and dst.load(new).version == new


def test_tampered_model_and_corrupt_index(source, tmp_path):
    import shutil

    shutil.copytree(source, tmp_path / 'r')
    reg = ModelRegistry(tmp_path / 'r')
    with open(tmp_path / 'r' / 'v1' / 'model.txt', 'a') as f:
        f.write('\n')
    with pytest.raises(QuantmlError, match='SHA-256'):
        reg.load('v1')
    assert not reg.verify()['ok']
    (tmp_path / 'r' / 'registry.json').write_text('not json')
    with pytest.raises(QuantmlError, match='corrupt'):
        reg.save(ModelRegistry(source).load('v1').model)
    assert (tmp_path / 'r' / 'registry.json').read_text() == 'not json'
    with pytest.raises(QuantmlError, match='not a version name'):
        reg.delete('../r')
    assert (tmp_path / 'r').exists()


HALF_WRITE = textwrap.dedent('''
    import builtins, io, os, signal, sys
    import quantml.registry as r
    class Half:
        "A file whose first write of a registry index puts half of it on disk, then dies (SIGKILL)."
        def __init__(self, f): self.f = f
        def write(self, data):
            # Path.write_bytes passes a memoryview
            data = bytes(data) if isinstance(data, memoryview) else data
            if (b'"versions"' if isinstance(data, bytes) else '"versions"') in data:
                self.f.write(data[:len(data) // 2]); self.f.flush(); os.fsync(self.f.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            return self.f.write(data)
        def __enter__(self): return self
        def __exit__(self, *a): return self.f.__exit__(*a)
        def __getattr__(self, k): return getattr(self.f, k)
    real = io.open
    def half_open(*a, **kw): return Half(real(*a, **kw))
    # every way to open a file (os.fdopen, Path.write_bytes) goes through io.open
    io.open = builtins.open = half_open
    r.ModelRegistry(sys.argv[1]).promote('v1', 'champion')
''')


def test_a_writer_killed_half_way_through_writing_the_index_leaves_it_whole(source, tmp_path):
    """A real process dies with half the new index written: the index on disk is the old one, whole
    (a direct write would leave half)."""
    import shutil

    shutil.copytree(source, tmp_path / 'r')
    before = (tmp_path / 'r' / 'registry.json').read_text()
    r = subprocess.run(
        [sys.executable, '-c', HALF_WRITE, str(tmp_path / 'r')],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # it died mid-write, as planned
    assert r.returncode == -signal.SIGKILL, r.stderr
    # whole, and the old one
    assert (tmp_path / 'r' / 'registry.json').read_text() == before
    reg = ModelRegistry(tmp_path / 'r')
    assert reg.list_versions()['aliases'] == {} and reg.promote('v1', 'champion') == {
        'alias': 'champion',
        'version': 'v1',
    }
