"""The import graph the design promises (issue 29): loading and serving a model never imports the
fitting code.

The model type lives in `quantml.model`; the trainer fits and returns one. Before, the registry
imported `TrainedModel` from the trainer, so every signal request's process loaded the fitting
module and whatever it imports."""

import ast, inspect, subprocess, sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'quantml'
# Who may import the trainer: the jobs that fit (pipeline, research's walk-forward) and the faces
# that start them (cli, api).
# `dask` is here until its training goes through the trainer's own seam (issue 29, one fitting
# seam).
MAY_IMPORT_TRAINER = {'pipeline', 'research', 'cli', 'api', 'cluster'}


def package_imports(mod: str) -> set:
    "The quantml modules `quantml/<mod>.py` imports, at its top or inside functions."
    out = set()
    for n in ast.walk(ast.parse((PKG / f'{mod}.py').read_text())):
        if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module:
            out.add(n.module.split('.')[0])
        elif isinstance(n, ast.ImportFrom) and n.module and n.module.startswith('quantml.'):
            out.add(n.module.split('.')[1])
        elif isinstance(n, ast.Import):
            out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('quantml.')}
    return out


def test_serving_a_model_does_not_load_the_trainer():
    code = ("import sys, quantml.registry, quantml.serving; print(sorted(m for m in "
            "('quantml.trainer', 'optuna') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '[]', (
        f"importing the registry and the signal service loaded {r.stdout.strip()}"
    )


def test_only_fitting_jobs_and_faces_import_the_trainer():
    mods = [p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_') and p.stem != 'trainer']
    importers = {m for m in mods if 'trainer' in package_imports(m)}
    assert importers <= MAY_IMPORT_TRAINER, (
        f"{sorted(importers - MAY_IMPORT_TRAINER)} import the trainer"
    )
    assert 'model' in package_imports('registry') and 'trainer' not in package_imports('model')


def test_the_data_quality_rules_have_one_home():
    """The dataset judges bars by the quality module's rules, not through the store; the rules
    module stands on the core alone."""
    assert 'store' not in package_imports('dataset'), "the dataset imports the store"
    assert package_imports('quality') <= {'core'}, package_imports('quality')
    for mod in ('store', 'dataset', 'serving'):
        assert 'quality' in package_imports(mod), mod


def test_the_faces_offer_the_library_defaults(tmp_path):
    """The command line and the API default every training and signal option to what the library's
    own signature says."""
    import argparse, inspect
    from quantml.cli import build_parser
    from quantml.api import TrainRequest, SignalsRequest
    from quantml.trainer import train_model
    from quantml.dataset import LabelSpec, SplitSpec
    from quantml.serving import SignalService

    lib = {n: p.default for n, p in inspect.signature(train_model).parameters.items()}
    label, lookback = (
        LabelSpec(),
        inspect.signature(SignalService.score_symbol).parameters['lookback_bars'].default,
    )
    want = dict(
        cv_folds=lib['cv_folds'],
        trials=lib['trials'],
        features=lib['features'],
        horizon=label.horizon,
        threshold=label.threshold,
        returns=label.returns,
    )
    api = {k: f.default for k, f in TrainRequest.model_fields.items()}
    assert {k: api[k] for k in want} == want
    assert (api['num_boost_round'], api['label'], api['test_size']) == (
        lib['num_boost_round'],
        label.family,
        SplitSpec().test_frac,
    )
    assert SignalsRequest.model_fields['lookback_bars'].default == lookback
    sub = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices
    cli = {a.dest: a.default for a in sub['train']._actions}
    assert {k: cli[k] for k in want} == want
    assert {a.dest: a.default for a in sub['signal']._actions}['lookback'] == lookback
    from quantml.research import evaluate, WalkForwardSpec

    ev, el, wf = (
        {a.dest: a.default for a in sub['evaluate']._actions},
        inspect.signature(evaluate).parameters['label'].default,
        WalkForwardSpec(),
    )
    assert (
        ev['features'],
        ev['label'],
        ev['horizon'],
        ev['returns'],
        ev['retrain_every'],
        ev['first_train'],
    ) == (
        inspect.signature(evaluate).parameters['features'].default,
        el.family,
        el.horizon,
        el.returns,
        wf.retrain_every,
        wf.first_train,
    )
    from quantml.cluster import export_parquet, connect

    for cmd in ('ingest', 'export'):
        assert {a.dest: a.default for a in sub[cmd]._actions}[
            'symbols_per_group'
        ] == inspect.signature(export_parquet).parameters['symbols_per_group'].default
    for cmd in ('train', 'signal'):
        assert {a.dest: a.default for a in sub[cmd]._actions}['workers'] == inspect.signature(
            connect
        ).parameters['n_workers'].default
    from quantml.api import create_app

    get = create_app(tmp_path / 'none.duckdb', tmp_path / 'models').openapi()['paths'][
        '/api/v1/ml/signals/{symbol}'
    ]['get']
    assert (
        next(q for q in get['parameters'] if q['name'] == 'lookback_bars')['schema']['default']
        == lookback
    )


def test_no_module_shadows_the_standard_library_or_a_dependency():
    """Run from inside quantml/, a module named like `signal` or `dask` is what `import signal`
    finds; none is, and the old paths still work."""
    import importlib.metadata

    taken = set(sys.stdlib_module_names) | set(importlib.metadata.packages_distributions())
    mods = {p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_')}
    assert not mods & taken, (
        f"{sorted(mods & taken)} shadow the standard library or an installed package"
    )
    from quantml.signal import SignalService
    import quantml.dask as old_dask
    import quantml.serving, quantml.cluster

    assert (
        SignalService is quantml.serving.SignalService
        and old_dask.connect is quantml.cluster.connect
    )


def test_old_import_paths_warn_where_a_user_sees_it(tmp_path):
    """A user's script on an old path gets a DeprecationWarning under Python's default filters
    (shown only when it is the script's own)."""
    script = tmp_path / 'old_paths.py'
    script.write_text(
        "from quantml.signal import SignalService\nimport quantml.dask\nfrom quantml.store import "
        "flag_prices\n"
        "import quantml.quality\nassert flag_prices is quantml.quality.flag_prices\n"
    )
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for line, old, new in (
        (1, 'quantml.signal', 'quantml.serving'),
        (2, 'quantml.dask', 'quantml.cluster'),
        (3, 'quantml.store.flag_prices', 'quantml.quality.flag_prices'),
    ):
        assert f"old_paths.py:{line}: DeprecationWarning: {old} is now {new}" in r.stderr, r.stderr
    r = subprocess.run(
        [sys.executable, '-c', 'import quantml.store as s; s.no_such_name'],
        capture_output=True,
        text=True,
    )
    assert "has no attribute 'no_such_name'" in r.stderr


def test_command_line_help_is_the_library_s_own_comment():
    """An option that is a library parameter reads its help and default from the parameter (a copied
    help text drifts from the code)."""
    from fastcore.docments import docments
    from quantml.cli import build_parser
    from quantml.trainer import train_model
    from quantml.research import WalkForwardSpec
    from quantml.dataset import LabelSpec

    sub = build_parser()._subparsers._group_actions[0].choices
    for cmd, flag, owner, name in (
        ('train', '--cv-folds', train_model, 'cv_folds'),
        ('train', '--seed', train_model, 'seed'),
        ('train', '--returns', LabelSpec, 'returns'),
        ('evaluate', '--first-train', WalkForwardSpec, 'first_train'),
    ):
        act = sub[cmd]._option_string_actions[flag]
        assert act.help.startswith(docments(owner)[name].replace('%', '%%')), (flag, act.help)
        assert act.default == inspect.signature(owner).parameters[name].default, flag
