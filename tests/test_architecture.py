"""The import graph the design promises (issue 29): loading and serving a model never imports the fitting code.

The model type lives in `quantml.model`; the trainer fits and returns one. Before, the registry imported `TrainedModel`
from the trainer, so every signal request's process loaded the fitting module and whatever it imports."""
import ast, subprocess, sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'quantml'
# Who may import the trainer: the jobs that fit (pipeline, research's walk-forward) and the faces that start them (cli, api).
# `dask` is here until its training goes through the trainer's own seam (issue 29, one fitting seam).
MAY_IMPORT_TRAINER = {'pipeline', 'research', 'cli', 'api', 'dask'}

def package_imports(mod:str) -> set:
    "The quantml modules `quantml/<mod>.py` imports, at its top or inside functions."
    out = set()
    for n in ast.walk(ast.parse((PKG / f'{mod}.py').read_text())):
        if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module: out.add(n.module.split('.')[0])
        elif isinstance(n, ast.ImportFrom) and n.module and n.module.startswith('quantml.'): out.add(n.module.split('.')[1])
        elif isinstance(n, ast.Import): out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('quantml.')}
    return out

def test_serving_a_model_does_not_load_the_trainer():
    code = "import sys, quantml.registry, quantml.signal; print(sorted(m for m in ('quantml.trainer', 'optuna') if m in sys.modules))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '[]', f"importing the registry and the signal service loaded {r.stdout.strip()}"

def test_only_fitting_jobs_and_faces_import_the_trainer():
    mods = [p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_') and p.stem != 'trainer']
    importers = {m for m in mods if 'trainer' in package_imports(m)}
    assert importers <= MAY_IMPORT_TRAINER, f"{sorted(importers - MAY_IMPORT_TRAINER)} import the trainer"
    assert 'model' in package_imports('registry') and 'trainer' not in package_imports('model')

def test_the_data_quality_rules_have_one_home():
    "The dataset judges bars by the quality module's rules, not through the store; the rules module stands on the core alone."
    assert 'store' not in package_imports('dataset'), "the dataset imports the store"
    assert package_imports('quality') <= {'core'}, package_imports('quality')
    for mod in ('store', 'dataset', 'signal'): assert 'quality' in package_imports(mod), mod
