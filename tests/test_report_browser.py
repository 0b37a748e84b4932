"The demo's report in headless Chromium: the page is not blank and every image on it loads."

import re, shutil, subprocess
import pytest
from quantml.store import ingest
from quantml.synth import synth_market
from quantml.pipeline import run_pipeline, write_report

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--virtual-time-budget=10000',
]
PROBE = (
    "<script>window.addEventListener('load', () => { const i = [...document.images];"
    " document.body.dataset.images = i.length; document.body.dataset.loaded = i.filter(x => "
    "x.complete && x.naturalWidth > 0).length; });</script>"
)


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (CI installs it for the docs check)"
)
def test_report_opens_in_chromium_with_every_image(tmp_path):
    ingest(synth_market(30, 700, seed=5, signal=1.0), tmp_path / 'p.duckdb')
    res = run_pipeline(
        tmp_path / 'p.duckdb', tmp_path / 'models', trials=2, n_windows=2, num_threads=2
    )
    page = write_report(res, tmp_path / 'report', 'quantml report test')
    text = page.read_text()
    assert 'beat holding the universe' in text and 'Model card' in text
    # returns as percentages, not raw fractions
    for section in ('Backtest', 'Risk of the daily returns', 'Calendar years'):
        table = text.split(f'<h2>{section}')[1].split('</table>')[0]
        assert not re.search(r'<td>-?0\.\d{4,}</td>', table) and re.search(
            r'<td>-?\d+\.\d%</td>', table
        ), section
    assert (
        len(
            re.findall(
                r'<tr><td>\d{4}-\d\d-\d\d</td>',
                text.split('<h2>Worst drawdowns')[1].split('</table>')[0],
            )
        )
        == 5
    )
    raw = [
        m
        for m in (
            r'class="dataframe"',
            r'\bNone\b',
            r'\bNaN\b',
            r'\bnan\b',
            r'<td[^>]*>\d{4}\.0</td>',
            r'<td[^>]*>\d+\.0000</td>',
            r'<th></th><th>0</th>',
            r'<tr>\s*<th>\d+</th>',
        )
        if re.search(m, text)
    ]
    # no pandas leaking: frames, None, 2016.0, row numbers
    assert not raw, raw
    assert 'tuning trials' not in text and 'configurations tried' in text
    probe = page.with_name('probe.html')
    probe.write_text(text.replace('</style>', '</style>' + PROBE, 1))
    profile = tmp_path / 'chrome-profile'
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f'--user-data-dir={profile}', '--dump-dom', probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    n = re.search(r'data-images="(\d+)"', dom)
    ok = re.search(r'data-loaded="(\d+)"', dom)
    assert n and ok, dom[:500]
    assert int(n.group(1)) >= 6 and ok.group(1) == n.group(1), (n.group(1), ok.group(1))
    shot = tmp_path / 'shot.png'
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f'--user-data-dir={profile}',
            '--window-size=1200,2400',
            f'--screenshot={shot}',
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.std() > 0.05  # not a blank page
