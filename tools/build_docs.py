"""Build the docs site offline: nbdev's processed notebooks rendered by mkdocs-material with
mkdocs-jupyter.

    python tools/build_docs.py [--check-browser]

1. nbdev's `proc_nbs` processes nbs/ into _proc/ exactly as it does for Quarto (hidden cells
dropped, directives
   applied, show_doc API reference added); called directly, since the `nbdev-proc-nbs` command first
   tries to install Quarto with sudo. nbdev's own Quarto configuration (nbs/_quarto.yml, ...) is
   untouched, so `nbdev-docs` still builds the standard site where Quarto is installed.
2. mkdocs (material theme, search, mkdocs-jupyter with the stored outputs) renders _proc/ into
_site/: the home page
   from index.ipynb, then one page per notebook in their order. The search index loses the
   notebook's prompts, the copy button's "Copied!" and the second copy of each code cell.
   nbdev's show_doc cells become reference sections: signature, docstring, then a table of the
   parameters (or fields).
3. Checks: every notebook has a page; no internal link is broken. With --check-browser, headless
Chromium (driven over
   the DevTools protocol) opens pages from a loopback server: they draw (screenshots in
   _site_shots/), no code is cut off, no In/Out prompt shows, the trainer page's train_model table
   is filled in, and a search for "deflated" finds pages.
"""

import argparse, html.parser, json, os, re, shutil, socket, subprocess, sys, threading, time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse, unquote

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _title(nb: Path) -> str:
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] == 'markdown':
            for line in ''.join(c['source']).splitlines():
                if line.startswith('# '):
                    return line[2:].strip()
    return nb.stem


def notebooks():
    "index first, then the others in nbdev's order (file names sorted)."
    nbs = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: (p.name != 'index.ipynb', p.name))


_CELL_KEYS = {
    'markdown': {'cell_type', 'id', 'metadata', 'source', 'attachments'},
    'code': {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count'},
    'raw': {'cell_type', 'id', 'metadata', 'source', 'attachments'},
}

_SHOW_DOC = re.compile(r'^show_doc\((\w+(?:\.\w+)?)\)\s*$')
_SOURCE = re.compile(r'\[source\]\((\S*?quantml/(\w+)\.py#L\d+)\)')


def _cell(text: str, code: bool = False) -> str:
    """A table cell's HTML. The table is HTML, not Markdown: the notebook renderer splits a Markdown
    row at every pipe, even an escaped one or an entity, and types such as `int | None` are full of
    them."""
    import html

    text = html.escape(text, quote=False)
    if code:
        return f"<code>{text}</code>" if text else ''
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', text)


def _signature(name: str, obj, rows) -> str:
    "`name(a: int = 1, ...) -> R`, one parameter per line when it would not fit on one."
    import inspect

    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    params = [p for p in sig.parameters.values() if p.name not in ('self', 'cls')]
    types = {r['name']: r['type'] for r in rows}

    def one(p):
        star = '*' if p.kind is p.VAR_POSITIONAL else '**' if p.kind is p.VAR_KEYWORD else ''
        t = types.get(p.name) or (p.annotation if isinstance(p.annotation, str) else '')
        d = '' if p.default is p.empty else f" = {p.default!r}"
        return f"{star}{p.name}{': ' + t if t else ''}{d}"

    ret = sig.return_annotation
    ret = (
        ''
        if ret is sig.empty or inspect.isclass(obj)
        else f" -> {ret if isinstance(ret, str) else getattr(ret, '__name__', ret)}"
    )
    flat = f"{name}({', '.join(map(one, params))}){ret}"
    return (
        flat
        if len(flat) <= 88
        else f"{name}(\n" + ''.join(f"    {one(p)},\n" for p in params) + f"){ret}"
    )


def reference_markdown(qualname: str, module: str, source: str) -> str:
    """nbdev's show_doc as a page section: the heading, a source link, the signature, the docstring,
    then a table of the parameters (or a dataclass's or pydantic model's fields): name, type,
    default, details."""
    import importlib, inspect
    from quantml.core import param_docs

    obj = importlib.import_module(f'quantml.{module}')
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    rows = param_docs(obj)
    doc = inspect.getdoc(obj) or ''
    fields = inspect.isclass(obj) and (
        hasattr(obj, '__dataclass_fields__') or hasattr(obj, 'model_fields')
    )
    out = [
        f"### {qualname}",
        '',
        f"[source]({source})",
        '',
        '```python',
        _signature(qualname, obj, rows),
        '```',
        '',
        doc,
        '',
    ]
    if rows:
        out += [
            f"<table><thead><tr><th>{'Field' if fields else 'Parameter'}</th><th>Type</th>"
            "<th>Default</th><th>Details</th></tr></thead><tbody>"
        ]
        out += [
            f"<tr><td>{_cell(r['name'], True)}</td><td>{_cell(r['type'], True)}</td>"
            + ("<td><em>required</em></td>" if r['default'] == 'required'
               else f"<td>{_cell(r['default'], True)}</td>")
            + f"<td>{_cell(r['details'])}</td></tr>"
            for r in rows
        ]
        out += ['</tbody></table>']
    return '\n'.join(out).rstrip() + '\n'


def reference_cell(c: dict):
    "The markdown cell that replaces a `show_doc(name)` code cell, or None when `c` is not one."
    if c['cell_type'] != 'code':
        return None
    m = _SHOW_DOC.match(
        ''.join(
            l for l in ''.join(c.get('source', '')).splitlines(True) if not l.startswith('#|')
        ).strip()
    )
    if not m:
        return None
    md = ''.join(
        next(
            (
                o['data']['text/markdown']
                for o in c.get('outputs', [])
                if 'text/markdown' in o.get('data', {})
            ),
            '',
        )
    )
    src = _SOURCE.search(md)
    if not src:
        raise SystemExit(
            f"docs: show_doc({m.group(1)}) has no source link to say which module it documents"
        )
    return dict(
        cell_type='markdown',
        metadata={},
        source=reference_markdown(m.group(1), src.group(2), src.group(1)),
    )


def tidy(proc: Path):
    """Make nbdev's processed notebooks plain nbformat for mkdocs-jupyter: drop nbdev's own cell
    keys and `#|` lines, hide echo: false sources."""
    for nb_path in proc.glob('*.ipynb'):
        nb = json.loads(nb_path.read_text())
        cells = []
        for c in nb['cells']:
            src = ''.join(c.get('source', ''))
            # nbdev's Quarto front matter: title and summary
            if c['cell_type'] == 'raw' and src.startswith('---'):
                import yaml

                fm = yaml.safe_load(src.strip().strip('-')) or {}
                src = f"# {fm.get('title', nb_path.stem)}" + (
                    f"\n\n> {fm['description']}" if fm.get('description') else ''
                )
                c = dict(cell_type='markdown', metadata={}, source=src)
            if c['cell_type'] == 'markdown' and src.startswith(
                '<!-- WARNING: THIS FILE WAS AUTOGENERATED'
            ):
                continue
            c = reference_cell(c) or c
            cells.append(c)
        nb['cells'] = cells
        for c in nb['cells']:
            for k in set(c) - _CELL_KEYS.get(c['cell_type'], set(c)):
                del c[k]
            c['metadata'] = {k: v for k, v in c.get('metadata', {}).items() if k == 'tags'}
            src = ''.join(c.get('source', '')).splitlines(True)
            if c['cell_type'] == 'code':
                if any(l.replace(' ', '').startswith('#|echo:false') for l in src):
                    c.setdefault('metadata', {}).setdefault('tags', []).append('remove_input')
                c['source'] = ''.join(l for l in src if not l.startswith('#|'))
                # Quarto link attributes mean nothing to mkdocs
                for o in c.get('outputs', []):
                    md = o.get('data', {}).get('text/markdown')
                    if md:
                        o['data']['text/markdown'] = re.sub(
                            r'\{target="_blank"[^}]*\}', '', ''.join(md)
                        )
        nb_path.write_text(json.dumps(nb, indent=1))


# No In [ ]/Out[ ] prompts (a reader is not running the notebook; mkdocs-jupyter shows them on some
# pages and not others); code scrolls sideways rather than being cut off, and shell commands and
# signatures in prose wrap to be read whole. A code cell's 100 characters (the longest line the
# tests allow) fit its box in a 1280-pixel window: 11.5 px type, a wider page (at mkdocs-jupyter's
# 16 px, the 658-pixel box held about 68).
_CSS = """.jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
.md-grid { max-width: 1440px; }
.jp-InputArea pre, .jp-InputArea-editor pre, .highlight pre {
  font-size: 11.5px !important; padding-left: 6px !important; padding-right: 6px !important; }
.jp-InputArea-editor pre, .CodeMirror pre, .highlight pre {
  overflow-x: auto !important; max-width: 100%; }
.jp-RenderedMarkdown pre, .jp-MarkdownOutput pre {
  white-space: pre-wrap !important; overflow-wrap: anywhere; }
.jp-RenderedMarkdown table code { overflow-wrap: anywhere; }
"""

_PROMPT = re.compile(r'(?:In|Out)\xa0?\[[\xa0\d ]*\]:\s*(?:Copied!\s*)?')
_PRE = re.compile(r'<pre>(.*?)</pre>\s*', re.S)


def clean_search_text(text: str) -> str:
    """A page's text as the search shows it, without the notebook's chrome: no `In [ ]:`/`Out[ ]:`
    prompts, no copy button's "Copied!", and each code cell once (mkdocs-jupyter gives the search
    its source twice: highlighted, then as plain text)."""
    import html

    text = _PROMPT.sub('', text)
    out, at = [], 0
    for m in _PRE.finditer(text):
        out.append(text[at : m.end()])
        at = m.end()
        words = html.unescape(m.group(1)).split()
        # the plain copy, escaped as the page is or not
        for esc in (lambda w: html.escape(w, quote=False), lambda w: w):
            copy = (
                re.compile(r'\s*'.join(re.escape(esc(w)) for w in words) + r'\s*')
                if words
                else None
            )
            hit = copy and copy.match(text, at)
            if hit:
                at = hit.end()
                break
    return ''.join(out) + text[at:]


def clean_search_index(site: Path) -> int:
    "Rewrite the site's search index with `clean_search_text`; the number of pages changed."
    p = site / 'search' / 'search_index.json'
    idx = json.loads(p.read_text())
    n = 0
    for d in idx['docs']:
        t = clean_search_text(d['text'])
        n += t != d['text']
        d['text'] = t
    p.write_text(json.dumps(idx))
    return n


def write_config(proc: Path, site: Path) -> Path:
    nav = [{('Home' if p.name == 'index.ipynb' else _title(p)): p.name} for p in notebooks()]
    cfg = dict(
        site_name='quantml',
        site_description='Honest machine-learning trading signals on daily OHLCV in DuckDB',
        docs_dir=str(proc),
        site_dir=str(site),
        use_directory_urls=True,
        nav=nav,
        theme=dict(
            name='material',
            features=['navigation.sections', 'navigation.footer', 'toc.follow', 'search.highlight'],
            palette=dict(primary='indigo'),
        ),
        plugins=[
            'search',
            {
                'mkdocs-jupyter': dict(
                    execute=False,
                    include_source=True,
                    ignore_h1_titles=False,
                    include_requirejs=False,
                    remove_tag_config=dict(remove_input_tags=['remove_input']),
                )
            },
        ],
        markdown_extensions=['tables', 'admonition', {'toc': {'permalink': True}}],
        extra_css=['quantml.css'],
        exclude_docs='_quarto.yml\nnbdev.yml\nsidebar.yml\n',
    )
    (proc / 'quantml.css').write_text(_CSS)
    path = ROOT / '_mkdocs.yml'
    import yaml

    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('href', 'src') and v:
                self.links.append(v)


def check_site(site: Path):
    "Every notebook has a page; every internal link and image resolves to a file."
    missing = [
        p.name
        for p in notebooks()
        if not (
            (site / 'index.html') if p.name == 'index.ipynb' else (site / p.stem / 'index.html')
        ).exists()
    ]
    if missing:
        raise SystemExit(f"docs: no page for {', '.join(missing)}")
    broken = []
    for page in site.rglob('*.html'):
        parser = _Links()
        parser.feed(page.read_text(errors='replace'))
        for link in parser.links:
            u = urlparse(link)
            if u.scheme or u.netloc or link.startswith(('#', 'mailto:', 'data:', 'javascript:')):
                continue
            target = (
                (page.parent / unquote(u.path)).resolve()
                if not u.path.startswith('/')
                else (site / unquote(u.path).lstrip('/')).resolve()
            )
            if u.path.endswith('/') or target.is_dir():
                target = target / 'index.html'
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    if broken:
        raise SystemExit("docs: broken internal links:\n  " + '\n  '.join(sorted(set(broken))[:40]))
    return len(list(site.rglob('*.html')))


def _blank(png: Path) -> bool:
    from PIL import Image
    import numpy as np

    a = np.asarray(Image.open(png).convert('L'), dtype=float)
    return a.std() < 5 or len(np.unique(a)) < 20


class Browser:
    """Headless Chromium driven over the DevTools protocol: real time (the search index is built in
    a web worker, which a --virtual-time-budget screenshot never lets finish), JavaScript evaluated
    in the page, screenshots of one element."""

    def __init__(self, chromium: str, profile: Path):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                chromium,
                '--headless',
                '--no-sandbox',
                '--disable-gpu',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
                '--hide-scrollbars',
                f'--user-data-dir={profile}',
                f'--remote-debugging-port={port}',
                '--window-size=1280,1600',
                'about:blank',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import urllib.request
        from websockets.sync.client import connect

        for _ in range(300):
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/json', timeout=2) as r:
                    tabs = json.load(r)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("docs: headless chromium did not start")
        from contextlib import ExitStack

        self.stack, self.n = ExitStack(), 0
        self.ws = self.stack.enter_context(
            connect(
                next(t for t in tabs if t['type'] == 'page')['webSocketDebuggerUrl'],
                max_size=None,
                proxy=None,
            )
        )

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            m = json.loads(self.ws.recv(timeout=60))
            if m.get('id') == self.n:
                if 'error' in m:
                    raise SystemExit(f"docs: chromium {method}: {m['error']}")
                return m['result']

    def open(self, url):
        self.call('Page.enable')
        self.call('Page.navigate', url=url)
        self.wait(
            "document.readyState === 'complete' && document.querySelector('h1') !== null",
            f"{url} to load",
        )

    def eval(self, js):
        r = self.call('Runtime.evaluate', expression=js, returnByValue=True)
        if 'exceptionDetails' in r:
            raise SystemExit(
                f"docs: script failed in the page: {r['exceptionDetails'].get('text')} {js[:80]}"
            )
        return r['result'].get('value')

    def wait(self, js, what, seconds=60):
        t = time.time()
        while time.time() - t < seconds:
            v = self.eval(js)
            if v:
                return v
            time.sleep(0.2)
        raise SystemExit(f"docs: waited {seconds} s for {what} in headless chromium")

    def shot(self, png: Path, selector: str = None):
        "A screenshot of the viewport, or of the element `selector` scrolled into view."
        clip = None
        if selector:
            # below the header
            self.eval(
                "window.scrollTo(0, "
                f"document.querySelector({selector!r}).getBoundingClientRect().top + "
                "window.scrollY - 80)"
            )
            b = self.eval(
                f"(() => {{const r = "
                f"document.querySelector({selector!r}).getBoundingClientRect(); return [r.x, r.y, "
                f"r.width, r.height]}})()"
            )
            clip = dict(
                x=b[0],
                y=b[1] + self.eval('window.scrollY'),
                width=max(b[2], 1),
                height=max(b[3], 1),
                scale=1,
            )
        import base64

        png.write_bytes(
            base64.b64decode(
                self.call(
                    'Page.captureScreenshot',
                    format='png',
                    **({'clip': clip, 'captureBeyondViewport': True} if clip else {}),
                )['data']
            )
        )
        if _blank(png):
            raise SystemExit(f"docs: the screenshot {png} is blank")
        return png

    def close(self):
        self.stack.close()
        self.proc.kill()
        self.proc.wait()


# A page's code must wrap or scroll, never be cut off: no <pre> whose text is wider than its box
# while it hides the overflow.
_CLIPPED = """[...document.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1 &&
                 !['auto', 'scroll'].includes(getComputedStyle(p).overflowX) &&
                 getComputedStyle(p).whiteSpace.indexOf('wrap') < 0)
                 .map(p => p.textContent.trim().slice(0, 60))"""
# A code cell's lines fit its box: none scrolls sideways (the tests hold code lines to 100).
_SCROLLS = """[...document.querySelectorAll('.jp-InputArea pre')]
                 .filter(p => p.scrollWidth > p.clientWidth + 1)
                 .map(p => p.textContent.split('\\n')
                            .reduce((a, l) => l.length > a.length ? l : a, ''))"""
_PROMPTS = ("[...document.querySelectorAll('.jp-InputPrompt, .jp-OutputPrompt')].filter(e => "
            "e.offsetParent !== null && e.textContent.trim()).length")
# The train_model section: its heading, then a parameter table with every row filled in (a name, a
# type or a default).
_TRAIN_MODEL_TABLE = """(() => {
    const h = document.getElementById('train_model'); if (!h) return 'no train_model heading';
    let e = h.nextElementSibling, t = null;
    while (e && !/^H[1-3]$/.test(e.tagName) &&
           !(t = e.tagName === 'TABLE' ? e : e.querySelector('table')))
        e = e.nextElementSibling;
    if (!t) return 'no table after the train_model heading';
    const rows = [...t.querySelectorAll('tbody tr')]
        .map(r => [...r.cells].map(c => c.textContent.trim()));
    if (rows.length < 10) return `only ${rows.length} rows`;
    const bad = rows.filter(r => r.length !== 4 || !r[0] || !r[2]);
    if (bad.length) return 'empty cells: ' + JSON.stringify(bad[0]);
    if (!rows.some(r => r[0] === 'cv_folds' && /walk-forward/.test(r[3])))
        return 'no cv_folds row with its details';
    const b = t.getBoundingClientRect();
    if (b.height < 100 || b.width < 300) return `table drawn ${b.width}x${b.height}`;
    t.id = t.id || 'train_model_table'; return 'ok ' + rows.length; })()"""
_SEARCH = """(() => { const n = document.querySelectorAll('.md-search-result__item').length;
    const first = document.querySelector('.md-search-result__item');
    return n ? n + ' results: ' + first.textContent.trim().slice(0, 60) : ''; })()"""


def check_browser(site: Path, out: Path):
    """In headless Chromium, from a loopback server: the home page and the features page draw
    (screenshots not blank), no code block is cut off and no In/Out prompt shows; the trainer page's
    train_model parameter table is there, filled in and drawn; a search for "deflated" returns
    results."""
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium:
        raise SystemExit("docs: --check-browser needs Debian's chromium (apt-get install chromium)")
    out.mkdir(exist_ok=True)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = ThreadingHTTPServer(('127.0.0.1', port), partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{port}/'
    b = Browser(chromium, out / '.profile')
    try:
        for name, path in (('home', ''), ('features', '00_features/'), ('trainer', '01_trainer/')):
            b.open(base + path)
            clipped = b.eval(_CLIPPED)
            if clipped:
                raise SystemExit(
                    f"docs: /{path}: {len(clipped)} code blocks are cut off at the right, e.g. "
                    f"{clipped[0]!r}"
                )
            scrolls = b.eval(_SCROLLS)
            if scrolls:
                raise SystemExit(
                    f"docs: /{path}: {len(scrolls)} code cells scroll sideways, e.g. the line "
                    f"{scrolls[0][:100]!r} ({len(scrolls[0])} characters)"
                )
            if b.eval(_PROMPTS):
                raise SystemExit(f"docs: /{path} shows In/Out prompts")
            png = b.shot(out / f'{name}.png')
            print(
                f"/{path}: drawn ({png.stat().st_size:,} bytes), no code cut off or scrolling "
                "sideways, no prompts"
            )
        table = b.eval(_TRAIN_MODEL_TABLE)
        if not str(table).startswith('ok'):
            raise SystemExit(f"docs: /01_trainer/: the train_model parameter table: {table}")
        png = b.shot(out / 'train_model_table.png', '#train_model_table')
        print(
            f"/01_trainer/: train_model's parameter table, {table[3:]} rows, drawn "
            f"({png.stat().st_size:,} bytes)"
        )
        b.open(base + '?q=deflated')
        print(f"search for 'deflated': {b.wait(_SEARCH, 'search results for deflated')}")
    finally:
        b.close()
        server.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def main(argv):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument('--check-browser', action='store_true')
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    t = time.time()
    proc, site = ROOT / '_proc', ROOT / '_site'
    # nbdev skips notebooks older than their _proc copy, which tidy() has already rewritten
    if proc.exists():
        shutil.rmtree(proc)
    # nbdev's own processing of the notebooks, as `nbdev-proc-nbs` does it but without its first
    # step, which tries to install Quarto with sudo (this build needs no Quarto; CI fails on any
    # output that says otherwise)
    subprocess.run(
        [str(BIN / 'python'), '-c', 'from nbdev.serve import proc_nbs; proc_nbs()'], check=True
    )
    tidy(proc)
    if site.exists():
        shutil.rmtree(site)
    cfg = write_config(proc, site)
    subprocess.run([str(BIN / 'mkdocs'), 'build', '-q', '-f', str(cfg)], check=True)
    clean_search_index(site)
    n = check_site(site)
    print(
        f"docs: {len(notebooks())} notebooks -> {n} pages in {site} ({time.time() - t:.0f} s); no "
        "broken internal links"
    )
    if a.check_browser:
        check_browser(site, ROOT / '_site_shots')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
