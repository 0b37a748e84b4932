"""The README's Python blocks, pasted in order into a fresh interpreter, as a reader would: every
one runs."""

import re, subprocess, sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / 'README.md'


def test_readme_python_blocks_run_in_a_fresh_interpreter(tmp_path):
    blocks = re.findall(r"```python\n(.*?)\n```", README.read_text(), flags=re.S)
    # the From Python section, really found
    assert len(blocks) >= 4, len(blocks)
    script = '\n\n'.join(blocks)
    r = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr[-2000:]


def test_the_package_exports_the_everyday_api():
    """`from quantml import train_model` and the rest: each name the package lists is its module's
    own object."""
    import importlib, quantml

    assert {
        'ingest',
        'read_prices',
        'compute_features',
        'build_dataset',
        'train_model',
        'ModelRegistry',
        'SignalService',
    } <= set(quantml.__all__)
    for mod, names in quantml._EXPORTS.items():
        m = importlib.import_module(f'quantml.{mod}')
        for n in names:
            assert getattr(quantml, n) is getattr(m, n), n


def test_help_shows_the_parameter_documentation():
    """help(quantml.train_model) lists each parameter with the comment beside it in the source, not
    only a one-line docstring."""
    import pydoc, quantml

    text = pydoc.render_doc(quantml.train_model, renderer=pydoc.plaintext)
    assert 'Parameters' in text and 'cv_folds : int, default 4' in text, text[:1500]
    assert 'walk-forward folds inside the training segment' in text
    fields = pydoc.render_doc(quantml.LabelSpec, renderer=pydoc.plaintext)
    assert 'horizon : int, default 5' in fields and 'bars held' in fields, fields[:1500]


def test_readme_api_examples_run_in_order_against_a_live_server(tmp_path):
    """The README's API table, each curl as written and in its order, after `quantml demo`, against
    `quantml serve`: every one answers 2xx. JOB_ID is the `id` the last 202 answered, as the table
    says; only the port is changed, to a free one."""
    import json, os, shutil, socket, time
    import httpx, pytest

    curl, quantml = (
        shutil.which('curl'),
        shutil.which('quantml', path=str(Path(sys.executable).parent)) or shutil.which('quantml'),
    )
    if curl is None:
        pytest.skip("needs curl, as the README's examples do")
    rows = re.findall(r"^\| ([^|]+?) \| `(curl [^`]+)`", README.read_text(), flags=re.M)
    # the table, really found
    assert len(rows) >= 14 and rows[0][0] == 'health', rows[:2]
    env = {k: v for k, v in os.environ.items() if k != 'QUANTML_API_TOKEN'} | {
        'QUANTML_HOME': str(tmp_path / 'home'),
        'QUANTML_PROGRESS': '0',
    }
    demo = subprocess.run(
        [quantml, 'demo', '--out', str(tmp_path / 'report')],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [quantml, 'serve', '--port', str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / 'server.log', 'w'),
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f'http://127.0.0.1:{port}/health', timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        job, seen = None, []
        for what, cmd in rows:
            if 'JOB_ID' in cmd:
                assert job, f"{what}: no job id answered before it"
            cmd = cmd.replace('127.0.0.1:8500', f'127.0.0.1:{port}').replace('JOB_ID', job or '')
            r = subprocess.run(
                f"{cmd} -o {tmp_path / 'body'} -w '%{{http_code}}'",
                shell=True,
                capture_output=True,
                text=True,
                timeout=300,
            )
            body = (tmp_path / 'body').read_text()
            assert r.returncode == 0 and r.stdout.startswith('2'), (what, cmd, r.stdout, body[:500])
            if r.stdout == '202':
                job = json.loads(body)['id']
            seen.append(what)
        assert any(w.startswith('train') for w in seen) and any(
            w.startswith('cancel') for w in seen
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
