"""Every option of every subcommand, given malformed values: one line on stderr, exit 1 or 2, never
a traceback.

The options are read from the parser itself, so an option added later is fuzzed too. Each call runs
`main` in this process (a subprocess each would take minutes): an exception escaping `main` is what
a user would see as a traceback."""

import argparse, contextlib, io
import pytest
from quantml.cli import build_parser, main
from quantml.store import ingest
from quantml.synth import synth_market

BAD = {int: ['x', '1.5', '-1', '0', '99999999999999999999'], float: ['x', 'nan', 'inf', '-1e400']}
BAD_TEXT = ['', 'no/such/folder/x', '/dev/null', '2020-13-45', 'yesterday', '\x7f\u202e', '-']
SKIP = {'--help', '--version', '--json', '-h'}


def _cases(world):
    """(argv, why) for each subcommand: its required arguments made valid, one option (or
    positional) made malformed."""
    p = build_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    # a value it accepts stops at 'too little history', before minutes of work
    base = {
        'ingest': [str(world / 'p.csv')],
        'export': [str(world / 'out')],
        'models': ['show', 'v1'],
        'signal': ['SYN001'],
        'evaluate': ['--first-train', '100000'],
    }
    common = ['--db', str(world / 'p.duckdb')]
    for name, sp in sub.choices.items():
        # runs the whole pipeline: fuzzed below on its cheap options only
        if name == 'demo':
            continue
        for a in sp._actions:
            if not a.option_strings or a.nargs == 0 or set(a.option_strings) & SKIP or a.choices:
                continue
            flag = a.option_strings[-1]
            # numbers by their kind, through the CLI's checking type
            for v in BAD.get(getattr(a.type, 'kind', a.type), BAD_TEXT):
                # '' is every address: a real server would start
                if name == 'serve' and flag == '--host' and v == '':
                    continue
                argv = [name, *base.get(name, []), *(common if flag != '--db' else []), flag, v]
                yield argv
        for a in sp._actions:  # positionals and choices
            if a.choices and a.option_strings:
                yield [name, *base.get(name, []), *common, a.option_strings[-1], 'nope']
        if name in ('models',):
            for act, tgt in (
                ('show', '../v1'),
                ('show', '1'),
                ('compare', 'nope'),
                ('delete', 'v0'),
                ('promote', 'v99'),
                ('bogus', 'v1'),
            ):
                yield [name, act, tgt, *common, '--registry', str(world / 'models')]
        if name == 'signal':
            for syms in (['syn001'], ['NOPE'], [''], ['A' * 300]):
                yield [name, *syms, *common]
    yield ['demo', '--trials', '-1', '--db', str(world / 'demo.duckdb')]
    yield ['demo', '--prices', str(world / 'missing.csv'), '--db', str(world / 'demo.duckdb')]


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    w = tmp_path_factory.mktemp('fuzz')
    prices = synth_market(6, 300, seed=4, signal=1.0)
    prices.to_csv(w / 'p.csv', index=False)
    ingest(prices, w / 'p.duckdb')
    return w


def _run(argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


def test_malformed_arguments_give_one_line_and_no_traceback(world, tmp_path, monkeypatch):
    import uvicorn

    # a value `serve` accepts would start a server that never returns
    monkeypatch.setattr(uvicorn, 'run', lambda *a, **kw: None)
    # relative paths among the values land here
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('QUANTML_HOME', str(tmp_path))
    # a stage line is progress, not the error: counted out wherever this runs
    monkeypatch.setenv('QUANTML_PROGRESS', '0')
    cases, bad = list(_cases(world)), []
    # every subcommand's options, really generated
    assert len(cases) > 150, len(cases)
    # numbers fuzzed as numbers
    assert (
        sum('99999999999999999999' in c for c in cases) >= 10
        and sum('nan' in c for c in cases) >= 3
    )
    for argv in cases:
        try:
            code, err = _run(argv)
        except Exception as e:
            bad.append((argv, f'escaped: {type(e).__name__}: {e}'[:200]))
            continue
        lines = [l for l in err.splitlines() if l.strip() and not l.startswith('quantml: warning')]
        # a value that is in fact acceptable (0 trials, say)
        if code == 0:
            continue
        if code not in (1, 2, 3) or len(lines) != 1 or 'Traceback' in err:
            bad.append((argv, code, err[-300:]))
    assert not bad, '\n'.join(map(repr, bad[:30])) + f'\n... {len(bad)} in all'
