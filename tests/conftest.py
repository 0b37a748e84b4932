import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get('QUANTML_DATA', ROOT.parent / 'shared' / 'data'))

@pytest.fixture(scope='session')
def data_dir():
    "The real data sets of ../shared/data; tests that need them skip where the folder is absent (a user's fresh clone)."
    if not (DATA / 'sp500_5yr_kaggle_2013_2018.csv.gz').exists():
        pytest.skip(f"real data not found at {DATA} (set QUANTML_DATA or place shared/data beside the project)")
    return DATA
