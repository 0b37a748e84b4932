"The README's Python blocks, pasted in order into a fresh interpreter, as a reader would: every one runs."
import re, subprocess, sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / 'README.md'

def test_readme_python_blocks_run_in_a_fresh_interpreter(tmp_path):
    blocks = re.findall(r"```python\n(.*?)\n```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4, len(blocks)                                    # the From Python section, really found
    script = '\n\n'.join(blocks)
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]


def test_the_package_exports_the_everyday_api():
    "`from quantml import train_model` and the rest: each name the package lists is its module's own object."
    import importlib, quantml
    assert {'ingest', 'read_prices', 'compute_features', 'build_dataset', 'train_model', 'ModelRegistry', 'SignalService'} <= set(quantml.__all__)
    for mod, names in quantml._EXPORTS.items():
        m = importlib.import_module(f'quantml.{mod}')
        for n in names: assert getattr(quantml, n) is getattr(m, n), n


def test_help_shows_the_parameter_documentation():
    "help(quantml.train_model) lists each parameter with the comment beside it in the source, not only a one-line docstring."
    import pydoc, quantml
    text = pydoc.render_doc(quantml.train_model, renderer=pydoc.plaintext)
    assert 'Parameters' in text and 'cv_folds : int, default 4' in text, text[:1500]
    assert 'walk-forward folds inside the training segment' in text
    fields = pydoc.render_doc(quantml.LabelSpec, renderer=pydoc.plaintext)
    assert 'horizon : int, default 5' in fields and 'bars held' in fields, fields[:1500]
