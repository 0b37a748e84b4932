"""The notebooks open in JupyterLab unmodified.

JupyterLab writes the running kernel's spec (name, display name, language) and its `language_info`
into a notebook when it opens it, and marks the notebook modified when that changes anything.
nbdev-clean rewrites a kernelspec's display name to its name, so ipykernel's `python3` ("Python 3
(ipykernel)") can never match: the notebooks run on the `quantml` kernel, whose display name is its
name (the README's install line adds it to the virtual environment), and keep the `language_info`
its Python reports (`allowed_metadata_keys` in pyproject.toml)."""

import importlib.util, json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT / 'nbs').glob('*.ipynb'))
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


def _installed_spec(name):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        pytest.fail(
            f"no Jupyter kernel {name!r} in this environment: run the README's install line "
            f"(.venv/bin/python -m ipykernel install --sys-prefix --name {name} --display-name "
            f"{name})"
        )


def test_every_notebook_names_the_installed_kernel_as_jupyterlab_writes_it():
    """A notebook whose kernelspec or language_info differs from what the kernel reports is marked
    modified on opening."""
    from ipykernel.ipkernel import IPythonKernel

    lang = dict(IPythonKernel.language_info)
    for nb in NBS:
        meta = json.loads(nb.read_text())['metadata']
        ks = meta.get('kernelspec', {})
        spec = _installed_spec(ks.get('name', '<none>'))
        want = dict(name=ks.get('name'), display_name=spec.display_name, language=spec.language)
        assert ks == want, f"{nb.name}: kernelspec {ks}, but JupyterLab writes {want}"
        li = dict(meta.get('language_info', {}))
        if li.get('version') not in (None, lang['version']):
            pytest.skip(
                f"{nb.name} records Python {li.get('version')}, this is {lang['version']}: "
                "JupyterLab rewrites language_info.version on another Python"
            )
        assert li == lang, f"{nb.name}: language_info {li}, but the kernel reports {lang}"


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (CI installs it for the docs check)"
)
def test_a_notebook_opened_in_jupyterlab_is_not_marked_modified(tmp_path):
    """JupyterLab in headless Chromium opens 02_registry, starts its kernel and leaves the tab clean
    (no unsaved-changes dot)."""
    spec = importlib.util.spec_from_file_location('build_docs', ROOT / 'tools' / 'build_docs.py')
    bd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bd)
    root = tmp_path / 'root'
    root.mkdir()
    # a copy: JupyterLab may write what it opens
    shutil.copy(ROOT / 'nbs' / '02_registry.ipynb', root)
    port = _free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / 'config'),
        JUPYTER_RUNTIME_DIR=str(tmp_path / 'runtime'),
    )
    log = (tmp_path / 'lab.log').open('w')
    lab = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'jupyterlab',
            '--no-browser',
            f'--port={port}',
            '--allow-root',
            '--IdentityProvider.token=',
            '--ServerApp.password=',
            f'--ServerApp.root_dir={root}',
            f'--LabApp.workspaces_dir={tmp_path / "workspaces"}',
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(600):
            try:
                _get(f'{base}/api')
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        b = bd.Browser(CHROMIUM, tmp_path / 'profile')
        try:
            b.call('Page.enable')
            b.call('Page.navigate', url=f'{base}/lab/tree/02_registry.ipynb')
            b.wait(
                "document.querySelector('.jp-Notebook .jp-Cell') !== null",
                'the notebook to draw',
                120,
            )
            # its kernel started and answered (its kernel_info reply carries language_info)
            t = time.time()
            while not any(
                s['kernel']['execution_state'] == 'idle' for s in _get(f'{base}/api/sessions')
            ):
                assert time.time() - t < 120, "the notebook's kernel did not start"
                time.sleep(0.2)
            # JupyterLab writes the kernel's spec and language_info when they arrive
            time.sleep(5)
            dirty = b.eval(
                "[...document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty')].map(e => "
                "e.textContent)"
            )
            assert dirty == [], f"JupyterLab marked {dirty} modified on opening"
            assert b.eval(
                "[...document.querySelectorAll('.jp-Toolbar-kernelName')].map(e => "
                "e.textContent).join()"
            ).startswith('quantml')
        finally:
            b.close()
    finally:
        lab.terminate()
        lab.wait(30)
        log.close()
