import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get('QUANTML_DATA', ROOT.parent / 'shared' / 'data'))


@pytest.fixture(scope='session')
def data_dir():
    """The real data sets of ../shared/data; tests that need them skip where the folder is absent (a
    user's fresh clone)."""
    if not (DATA / 'sp500_5yr_kaggle_2013_2018.csv.gz').exists():
        pytest.skip(
            f"real data not found at {DATA} (set QUANTML_DATA or place shared/data beside the "
            "project)"
        )
    return DATA


@pytest.fixture(autouse=True, scope='session')
def _quantml_home(tmp_path_factory):
    """No test reads or writes a real ~/.quantml: QUANTML_HOME points at a fresh folder for the
    whole run."""
    old = os.environ.get('QUANTML_HOME')
    os.environ['QUANTML_HOME'] = str(tmp_path_factory.mktemp('quantml_home'))
    yield
    if old is None:
        os.environ.pop('QUANTML_HOME', None)
    else:
        os.environ['QUANTML_HOME'] = old
