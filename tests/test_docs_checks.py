"The docs build's own checks can fail: a missing page, a broken internal link, a blank screenshot."

import inspect
import importlib.util
from pathlib import Path
import numpy as np, pytest

spec = importlib.util.spec_from_file_location(
    'build_docs', Path(__file__).resolve().parents[1] / 'tools' / 'build_docs.py'
)
bd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bd)


def _site(tmp_path, broken=False):
    site = tmp_path / 'site'
    for nb in bd.notebooks():
        page = site / 'index.html' if nb.name == 'index.ipynb' else site / nb.stem / 'index.html'
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            '<h1>x</h1><a href="../index.html">home</a>'
            if nb.name != 'index.ipynb'
            else '<h1>home</h1><a href="00_features/">f</a>'
        )
    if broken:
        (site / '00_features' / 'index.html').write_text(
            '<h1>f</h1><a href="../nowhere/">gone</a><img src="../images/missing.png">'
        )
    return site


def test_a_complete_site_passes(tmp_path):
    assert bd.check_site(_site(tmp_path)) == len(bd.notebooks())


def test_a_broken_link_fails(tmp_path):
    with pytest.raises(SystemExit, match='broken internal links'):
        bd.check_site(_site(tmp_path, broken=True))


def test_a_missing_page_fails(tmp_path):
    site = _site(tmp_path)
    (site / '01_trainer' / 'index.html').unlink()
    with pytest.raises(SystemExit, match='no page for 01_trainer.ipynb'):
        bd.check_site(site)


def test_blank_screenshots_are_caught(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((100, 100, 3), 255, np.uint8)).save(tmp_path / 'blank.png')
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8)).save(
        tmp_path / 'busy.png'
    )
    assert bd._blank(tmp_path / 'blank.png') and not bd._blank(tmp_path / 'busy.png')


def test_show_doc_becomes_a_parameter_table():
    """A show_doc cell is replaced by a section whose table has one row per parameter, types with
    pipes kept whole."""
    cell = dict(
        cell_type='code',
        source='show_doc(train_model)',
        outputs=[
            dict(
                output_type='execute_result',
                data={
                    'text/markdown': '---\n\n[source](https://github.com/quantml/quantml/blob/main'
                                     '/quantml/trainer.py#L307)\n\n### train_model'
                },
            )
        ],
    )
    md = bd.reference_cell(cell)['source']
    assert md.startswith('### train_model') and 'quantml/trainer.py#L307' in md
    assert (
        '<td><code>cv_folds</code></td><td><code>int</code></td><td><code>4</code></td>'
        '<td>walk-forward folds' in md
    )
    assert (
        '<td><code>data</code></td><td><code>Dataset | '
        'pd.DataFrame</code></td><td><em>required</em></td>'
        in md
    )
    from quantml.trainer import train_model

    # header + every parameter of train_model
    assert md.count('<tr>') == 1 + len(inspect.signature(train_model).parameters)
    assert bd.reference_cell(dict(cell_type='code', source='x = 1', outputs=[])) is None


def test_fields_of_dataclasses_and_request_models_are_listed():
    label = bd.reference_markdown('LabelSpec', 'dataset', 'x')
    assert (
        '<th>Field</th>' in label
        and '<td><code>horizon</code></td><td><code>int</code></td><td><code>5</code></td><td>bars'
            ' held</td>'
        in label
    )
    body = bd.reference_markdown('TrainRequest', 'api', 'x')
    assert (
        '<td><code>horizon</code></td><td><code>int</code></td><td><code>5</code></td><td>label '
        'horizon in bars (≥ 1, ≤ 250)</td>'
        in body
    )
    method = bd.reference_markdown('ModelRegistry.promote', 'registry', 'x')
    assert 'ModelRegistry.promote(' in method and '<code>self</code>' not in method


def test_search_snippets_have_no_notebook_chrome():
    """The search shows a page's text: no prompts or copy-button text, each code cell once
    (mkdocs-jupyter indexes its source twice)."""
    raw = (
        "<p>The store:</p> In\xa0[\xa0]: Copied! <pre>list_symbols(db)\nx = a &lt; b\n</pre> "
        "list_symbols(db) x = a &lt; b "
        "Out[\xa0]: symbol first_date <pre>read 2,000 rows\n</pre> <p>then</p> In\xa0[3]: Copied! "
        "<pre>f(1)\n</pre> f(1)"
    )
    clean = bd.clean_search_text(raw)
    assert clean == (
        "<p>The store:</p> <pre>list_symbols(db)\nx = a &lt; b\n</pre> symbol first_date "
        "<pre>read 2,000 rows\n</pre> "
        "<p>then</p> <pre>f(1)\n</pre> "
    )
    kept = "<pre>x = 1\n</pre> x equals one, and the code's copy is not there"
    assert bd.clean_search_text(kept) == kept


def test_every_parameter_of_the_public_api_is_documented():
    """Every parameter (and field) of every public function, class and method has a description: the
    comment beside it or the name's entry in core.GLOSSARY. An empty Details cell in the reference,
    or a bare line in help(), fails here."""
    import importlib, inspect, pkgutil, quantml
    from quantml.core import param_docs

    missing, seen = [], 0
    for info in pkgutil.iter_modules(quantml.__path__):
        if info.name.startswith('_'):
            continue
        m = importlib.import_module(f'quantml.{info.name}')
        for name in getattr(m, '__all__', []):
            obj = getattr(m, name)
            # documented where it is defined
            if getattr(obj, '__module__', None) != m.__name__:
                continue
            items = [(name, obj)] + (
                [
                    (f'{name}.{k}', v)
                    for k, v in vars(obj).items()
                    if not k.startswith('_') and inspect.isfunction(v)
                ]
                if inspect.isclass(obj)
                else []
            )
            for qual, x in items:
                if not (inspect.isfunction(x) or inspect.isclass(x)):
                    continue
                rows = param_docs(x)
                seen += len(rows)
                missing += [
                    f"{info.name}.{qual}({r['name']})" for r in rows if not r['details'].strip()
                ]
    # the public API, really walked
    assert seen > 500, seen
    assert not missing, (
        f"{len(missing)} parameters without a description: {', '.join(missing[:20])}"
    )


# Code lines at most 100 characters: the docs show every notebook code cell, and a longer line
# scrolls sideways there. Checked: the notebooks' code cells (the source of the package and of the
# docs), the tests, tools and benchmarks, and the package's modules apart from the lines nbdev
# writes itself (each module's docstring, from its notebook's summary, and `__all__`, which nbdev
# wraps at 120). Wrapped with ruff format (line-length 100, quotes preserved).
MAX_LINE = 100


def long_code_lines(root: Path) -> list[str]:
    "Where a code line is longer than MAX_LINE, as 'file cell i line j: n characters'."
    import ast, json

    found = []
    for nb in sorted((root / 'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(nb.read_text())['cells']):
            if c['cell_type'] != 'code':
                continue
            for j, line in enumerate(''.join(c['source']).split('\n'), 1):
                if len(line) > MAX_LINE:
                    found.append(f"{nb.name} cell {i} line {j}: {len(line)} characters")
    for d in ('tests', 'tools', 'benchmarks', 'quantml'):
        for py in sorted((root / d).glob('*.py')):
            if py.name == '_modidx.py':  # nbdev's index of names, written whole
                continue
            text = py.read_text()
            nbdev_rows = set()
            if d == 'quantml':
                body = ast.parse(text).body
                for k, node in enumerate(body):
                    doc = (
                        k == 0
                        and isinstance(node, ast.Expr)
                        and isinstance(node.value, ast.Constant)
                    )
                    alls = isinstance(node, ast.Assign) and any(
                        getattr(t, 'id', '') == '__all__' for t in node.targets
                    )
                    if doc or alls:
                        nbdev_rows.update(range(node.lineno, node.end_lineno + 1))
            for j, line in enumerate(text.split('\n'), 1):
                if len(line) > MAX_LINE and j not in nbdev_rows:
                    found.append(f"{py.relative_to(root)} line {j}: {len(line)} characters")
    return found


def test_code_lines_fit_in_100_characters():
    long = long_code_lines(Path(__file__).resolve().parents[1])
    assert not long, f"{len(long)} code lines over {MAX_LINE} characters, e.g. " + '; '.join(
        long[:5]
    )


def test_a_long_line_is_found(tmp_path):
    """The check reads what it says: a long line in a notebook cell, a test and a module is
    reported;
    markdown and nbdev's own lines in a module are not."""
    import json

    for d in ('nbs', 'tests', 'tools', 'benchmarks', 'quantml'):
        (tmp_path / d).mkdir()
    cell = dict(
        cell_type='code', source=['x = 1\n', 'y = "' + 'a' * 120 + '"'], metadata={}, outputs=[]
    )
    md = dict(cell_type='markdown', source=['b' * 200])
    (tmp_path / 'nbs' / 'a.ipynb').write_text(json.dumps(dict(cells=[md, cell])))
    (tmp_path / 'tests' / 't.py').write_text('z = 2\n' + '# ' + 'c' * 99 + '\n')
    module = '"""' + 'd' * 150 + '"""\n__all__ = [' + "'e', " * 30 + "]\nw = '" + 'f' * 100 + "'\n"
    (tmp_path / 'quantml' / 'm.py').write_text(module)
    assert long_code_lines(tmp_path) == [
        'a.ipynb cell 1 line 2: 126 characters',
        'tests/t.py line 2: 101 characters',
        'quantml/m.py line 3: 106 characters',
    ]
