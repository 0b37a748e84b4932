"The docs build's own checks can fail: a missing page, a broken internal link, a blank screenshot."
import importlib.util, sys
from pathlib import Path
import numpy as np, pytest

spec = importlib.util.spec_from_file_location('build_docs', Path(__file__).resolve().parents[1] / 'tools' / 'build_docs.py')
bd = importlib.util.module_from_spec(spec); spec.loader.exec_module(bd)

def _site(tmp_path, broken=False):
    site = tmp_path / 'site'
    for nb in bd.notebooks():
        page = site / 'index.html' if nb.name == 'index.ipynb' else site / nb.stem / 'index.html'
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text('<h1>x</h1><a href="../index.html">home</a>' if nb.name != 'index.ipynb' else '<h1>home</h1><a href="00_features/">f</a>')
    if broken: (site / '00_features' / 'index.html').write_text('<h1>f</h1><a href="../nowhere/">gone</a><img src="../images/missing.png">')
    return site

def test_a_complete_site_passes(tmp_path):
    assert bd.check_site(_site(tmp_path)) == len(bd.notebooks())

def test_a_broken_link_fails(tmp_path):
    with pytest.raises(SystemExit, match='broken internal links'): bd.check_site(_site(tmp_path, broken=True))

def test_a_missing_page_fails(tmp_path):
    site = _site(tmp_path); (site / '01_trainer' / 'index.html').unlink()
    with pytest.raises(SystemExit, match='no page for 01_trainer.ipynb'): bd.check_site(site)

def test_blank_screenshots_are_caught(tmp_path):
    from PIL import Image
    Image.fromarray(np.full((100, 100, 3), 255, np.uint8)).save(tmp_path / 'blank.png')
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8)).save(tmp_path / 'busy.png')
    assert bd._blank(tmp_path / 'blank.png') and not bd._blank(tmp_path / 'busy.png')
