__version__ = "0.0.1"

# The everyday API, importable from the package: `from quantml import ingest, train_model, SignalService`.
# Each name is imported from its module on first use, so `import quantml` (and the command line's start) stays fast, and its
# docstring then gains its parameters' documentation (core.full_doc), which is what help(quantml.train_model) shows.
_EXPORTS = {
    'core': ['QuantmlError', 'NotFoundError', 'ConflictError', 'BusyError', 'parse_date'],
    'store': ['ingest', 'read_prices', 'list_symbols', 'read_rejected', 'check_store', 'open_db', 'default_db_path', 'quantml_home'],
    'synth': ['synth_market'],
    'features': ['compute_features', 'compute_indicators', 'FEATURES', 'INDICATORS'],
    'alpha158': ['compute_alpha158', 'ALPHA158'],
    'dataset': ['LabelSpec', 'SplitSpec', 'build_dataset', 'Dataset'],
    'model': ['TrainedModel', 'FeatureNorm'],
    'trainer': ['train_model', 'walk_forward_predict'],
    'registry': ['ModelRegistry'],
    'signal': ['SignalService', 'Signal'],
    'backtest': ['factor_tearsheet', 'block_bootstrap_ci'],   # not `backtest`: importing quantml.backtest rebinds that name to the module
    'pipeline': ['run_pipeline', 'write_report'],
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = ['__version__', *_WHERE]

def __getattr__(name):
    if name not in _WHERE: raise AttributeError(f"module 'quantml' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f'quantml.{_WHERE[name]}'), name)
    if callable(value):                                      # help(quantml.train_model) shows the parameter comments too
        from quantml.core import full_doc
        try: value.__doc__ = full_doc(value)
        except (OSError, TypeError): pass                    # no source to read (a frozen install): the docstring alone
    globals()[name] = value
    return value

def __dir__(): return sorted(set(globals()) | set(_WHERE))
