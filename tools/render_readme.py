"""Render README.md from nbs/index.ipynb, as `nbdev-readme` would if Quarto were installed.

Markdown cells are copied as they are (image links made relative to the repository root); code
cells (without `#|` directives; `#| hide` cells left out) become ```python blocks followed by their
stored text output. `--check` exits 1 if README.md is stale.

    python tools/render_readme.py [--check]
"""

import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _text(out):
    if out.get('output_type') == 'stream':
        return ''.join(out['text'])
    data = out.get('data', {})
    return ''.join(data.get('text/plain', ''))


def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            parts.append(src.strip().replace('](images/', '](nbs/images/'))
            continue
        if cell['cell_type'] != 'code':
            continue
        lines = src.splitlines()
        if any(
            l.strip().replace(' ', '') in ('#|hide', '#|hide_input')
            for l in lines
            if l.startswith('#|')
        ):
            continue
        code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        if code:
            parts.append(f"```python\n{code}\n```")
        outs = ''.join(_text(o) for o in cell.get('outputs', [])).rstrip()
        if outs:
            parts.append(f"```\n{outs}\n```")
    return '\n\n'.join(parts) + '\n'


def main(argv):
    text, readme = render(), ROOT / 'README.md'
    if '--check' in argv:
        if not readme.exists() or readme.read_text() != text:
            print(
                "README.md is not what nbs/index.ipynb renders to: run `python "
                "tools/render_readme.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    readme.write_text(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
