__version__ = "0.0.1"

# The everyday API, importable from the package: `from quantml import ingest, train_model,
# SignalService`.
# Each name is imported from its module on first use, so `import quantml` (and the command line's
# start) stays fast, and its docstring then gains its parameters' documentation (core.full_doc),
# which is what help(quantml.train_model) shows.
_EXPORTS = {
    'core': ['QuantmlError', 'NotFoundError', 'ConflictError', 'BusyError', 'parse_date'],
    'store': [
        'ingest',
        'read_prices',
        'list_symbols',
        'read_rejected',
        'check_store',
        'open_db',
        'default_db_path',
        'quantml_home',
    ],
    'synth': ['synth_market'],
    'features': ['compute_features', 'compute_indicators', 'SEED22', 'INDICATORS'],
    'alpha158': ['compute_alpha158', 'ALPHA158'],
    'dataset': ['LabelSpec', 'SplitSpec', 'build_dataset', 'Dataset'],
    'model': ['TrainedModel', 'FeatureNorm'],
    'trainer': ['train_model', 'walk_forward_predict'],
    'registry': ['ModelRegistry'],
    'serving': ['SignalService', 'Signal'],
    # not `backtest`: importing quantml.backtest rebinds that name to the module
    'backtest': ['factor_tearsheet', 'block_bootstrap_ci'],
    'pipeline': ['run_pipeline', 'write_report'],
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = ['__version__', *_WHERE]


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module 'quantml' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f'quantml.{_WHERE[name]}'), name)
    # help(quantml.train_model) shows the parameter comments too
    if callable(value):
        from quantml.core import full_doc

        try:
            value.__doc__ = full_doc(value)
        # no source to read (a frozen install): the docstring alone
        except (OSError, TypeError):
            pass
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


# Renamed modules: `quantml.signal` is `quantml.serving` and `quantml.dask` is `quantml.cluster`,
# since the old names shadowed the standard library's `signal` and the `dask` package (run from
# inside quantml/, `import asyncio` loaded quantml/signal.py). The old import paths work for one
# release, with a DeprecationWarning; no file by the old name exists, so nothing is shadowed any
# more.
_RENAMED = {'quantml.signal': 'quantml.serving', 'quantml.dask': 'quantml.cluster'}

import importlib.abc as _abc


class _RenamedModules(_abc.MetaPathFinder, _abc.Loader):
    """Imports a renamed module's old path as a module holding the new one's names, with a
    DeprecationWarning."""

    def find_spec(self, name, path=None, target=None):
        if name not in _RENAMED:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        import importlib, warnings

        new = _RENAMED[module.__name__]
        warnings.warn(
            f"{module.__name__} is now {new} (the old name shadowed the standard library or a "
            "dependency); "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        real = importlib.import_module(new)
        module.__dict__.update(
            {k: v for k, v in vars(real).items() if not k.startswith('__') or k == '__all__'}
        )


import sys as _sys

if not any(isinstance(f, _RenamedModules) for f in _sys.meta_path):
    _sys.meta_path.append(_RenamedModules())
