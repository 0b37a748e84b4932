"""The real server on a free loopback port: train through the API, poll the job, score, delete,
stop; then a bounded fuzz run."""

import json, os, shutil, socket, subprocess, sys, time
from pathlib import Path
import httpx, pytest
from quantml.store import ingest
from quantml.synth import synth_market

QUANTML = shutil.which('quantml', path=str(Path(sys.executable).parent)) or shutil.which('quantml')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _serve(root):
    """A real `quantml serve` on a free loopback port over root/p.duckdb and root/models: (url,
    process)."""
    port = _free_port()
    env = {**os.environ, 'QUANTML_API_TOKEN': 't0ken'}
    # a pipe nobody reads would fill
    proc = subprocess.Popen(
        [
            QUANTML,
            'serve',
            '--port',
            str(port),
            '--db',
            str(root / 'p.duckdb'),
            '--registry',
            str(root / 'models'),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(root / 'server.log', 'w'),
        text=True,
    )
    # with the access log and stop the server
    url = f'http://127.0.0.1:{port}'
    for _ in range(200):
        try:
            if httpx.get(url + '/health', timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {(root / 'server.log').read_text()}")
    return url, proc


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp('api')
    ingest(synth_market(20, 500, seed=3, signal=1.0), root / 'p.duckdb')
    url, proc = _serve(root)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_train_poll_score_delete(server):
    auth = {'Authorization': 'Bearer t0ken'}
    assert httpx.post(server + '/api/v1/ml/train', json={}, timeout=10).status_code == 401
    r = httpx.post(
        server + '/api/v1/ml/train',
        json={'num_boost_round': 40, 'horizon': 5},
        headers=auth,
        timeout=10,
    )
    assert r.status_code == 202
    jid = r.json()['id']
    for _ in range(600):
        j = httpx.get(f'{server}/api/v1/ml/jobs/{jid}', timeout=10).json()
        if j['state'] in ('done', 'failed'):
            break
        time.sleep(0.2)
    assert j['state'] == 'done' and j['version'] == 'v1', j
    assert httpx.get(server + '/api/v1/ml/models', timeout=10).json()['latest_version'] == 'v1'
    s = httpx.get(server + '/api/v1/ml/signals/SYN004', timeout=10).json()
    assert (
        s['source'] == 'ml'
        and s['model_version'] == 'v1'
        and s['recommendation'] in ('strong_sell', 'sell', 'hold', 'buy', 'strong_buy')
    )
    assert httpx.post(server + '/api/v1/ml/models/v1/promote', headers=auth, timeout=10).json() == {
        'alias': 'champion',
        'version': 'v1',
    }
    # the champion: refused
    r = httpx.delete(server + '/api/v1/ml/models/v1', headers=auth, timeout=10)
    assert r.status_code == 409 and "alias 'champion'" in r.json()['detail']
    assert (
        httpx.get(server + '/api/v1/ml/signals/SYN004', timeout=10).json()['model_version'] == 'v1'
    )
    assert (
        httpx.delete(
            server + '/api/v1/ml/models/v1', params={'force': 'true'}, headers=auth, timeout=10
        ).json()['deleted']
        == 'v1'
    )
    assert httpx.get(server + '/api/v1/ml/models/v1', timeout=10).status_code == 404


def test_one_training_job_at_a_time(server):
    auth = {'Authorization': 'Bearer t0ken'}
    ids = [
        httpx.post(
            server + '/api/v1/ml/train',
            json={'num_boost_round': 30, 'threshold': th},
            headers=auth,
            timeout=10,
        ).json()['id']
        for th in (0.01, 0.03)
    ]
    # waits for the first
    assert httpx.get(f'{server}/api/v1/ml/jobs/{ids[1]}', timeout=10).json()['state'] == 'queued'
    done = {}
    for _ in range(600):
        done = {i: httpx.get(f'{server}/api/v1/ml/jobs/{i}', timeout=10).json() for i in ids}
        if all(j['state'] in ('done', 'failed') for j in done.values()):
            break
        time.sleep(0.2)
    assert [done[i]['state'] for i in ids] == ['done', 'done']
    # in order
    assert int(done[ids[0]]['version'][1:]) < int(done[ids[1]]['version'][1:])
    assert done[ids[0]]['finished'] <= done[ids[1]]['started']


def test_two_clients_follow_a_job_and_one_leaves(server):
    """A training job's events to an SSE client and a WebSocket client at once, over the real
    server: every stage in order, both ending"""
    (" with the final state; a third client that hangs up after one event changes nothing for the "
     "job.")
    import threading
    from websockets.sync.client import connect

    auth = {'Authorization': 'Bearer t0ken'}
    job = httpx.post(
        server + '/api/v1/ml/train',
        json={'num_boost_round': 30, 'cv_folds': 2, 'trials': 1},
        headers=auth,
        timeout=10,
    ).json()
    got = {}

    def sse():
        out, buf = [], ''
        with httpx.stream('GET', f"{server}/api/v1/ml/jobs/{job['id']}/events", timeout=120) as r:
            for chunk in r.iter_text():
                buf += chunk
                while '\n\n' in buf:
                    msg, buf = buf.split('\n\n', 1)
                    data = [l[6:] for l in msg.split('\n') if l.startswith('data: ')]
                    if data:
                        out.append(json.loads(data[0]))
        got['sse'] = out

    def ws():
        with connect(
            server.replace('http', 'ws') + f"/api/v1/ml/jobs/{job['id']}/ws", open_timeout=30
        ) as c:
            # iterating ends at the server's normal close
            got['ws'] = [json.loads(m) for m in c]

    def leaver():
        with httpx.stream('GET', f"{server}/api/v1/ml/jobs/{job['id']}/events", timeout=120) as r:
            next(r.iter_text())

    threads = [threading.Thread(target=f) for f in (sse, ws, leaver)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert got['sse'] == got['ws'] and [e['seq'] for e in got['sse']] == list(
        range(1, len(got['sse']) + 1)
    )
    stages = [e['stage'] for e in got['sse'] if e['type'] == 'stage']
    assert stages == ['read prices', 'dataset', 'tuning', 'cv', 'fit', 'metrics', 'register'], (
        stages
    )
    last = got['sse'][-1]
    assert (last['type'], last['state']) == ('done', 'done') and last['version'], last
    assert (
        httpx.get(f"{server}/api/v1/ml/jobs/{job['id']}", timeout=10).json()['version']
        == last['version']
    )
    assert job['id'] in [j['id'] for j in httpx.get(server + '/api/v1/ml/jobs', timeout=10).json()]


def test_fuzz_from_the_openapi_schema_finds_no_5xx(server):
    """schemathesis against the live server, bounded: every endpoint, valid and invalid generated
    inputs. No server error, every status declared in the schema, a 405's Allow right, and invalid
    input (a boolean where a number is declared, say) refused."""
    import schemathesis
    from hypothesis import given, settings, HealthCheck
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        not_a_server_error,
        status_code_conformance,
        allow_header_conformance,
        negative_data_rejection,
    )

    CHECKS = [
        not_a_server_error,
        status_code_conformance,
        allow_header_conformance,
        negative_data_rejection,
    ]
    schema = schemathesis.openapi.from_url(server + '/openapi.json')
    failures, calls, ops = [], [], 0
    for op in schema.get_all_operations():
        ops += 1
        op = op.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=op.as_strategy(generation_mode=mode))
            def check(case):
                resp = case.call(timeout=30)
                calls.append((mode.value, resp.status_code))
                try:
                    case.validate_response(resp, checks=CHECKS)
                # a 5xx, an undeclared status, a wrong Allow, invalid input accepted
                except Exception as e:
                    failures.append(
                        (
                            mode.value,
                            case.method,
                            case.formatted_path,
                            resp.status_code,
                            str(e).splitlines()[0][:200],
                        )
                    )

            try:
                check()
            # nothing to make invalid: the operation takes no input
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE and op.path in (
                    '/health',
                    '/api/v1/ml/models',
                    '/api/v1/ml/jobs',
                ), op.path
    # every endpoint, really called, both ways
    assert ops == 14 and len(calls) > 200, (ops, len(calls))
    # invalid input was really sent, and refused
    assert sum(c >= 400 for m, c in calls if m == 'negative') > 50
    assert not failures, failures[:10]
    # and, for every number a body declares, a boolean is refused
    spec, sent = httpx.get(server + '/openapi.json').json(), 0
    where = {
        'TrainRequest': ('/api/v1/ml/train', {}),
        'EvaluateRequest': ('/api/v1/ml/evaluate', {}),
        'SignalsRequest': ('/api/v1/ml/signals', {'symbols': ['SYN001']}),
    }
    for name, model in spec['components']['schemas'].items():
        for field, sch in model.get('properties', {}).items():
            if not {sch.get('type')} | {a.get('type') for a in sch.get('anyOf', [])} & {
                'number',
                'integer',
            }:
                continue
            # a response's schema, not a body
            if name not in where:
                continue
            path, base = where[name]
            r = httpx.post(
                server + path,
                json={**base, field: True},
                headers={'Authorization': 'Bearer t0ken'},
                timeout=30,
            )
            assert r.status_code == 422 and r.json()['detail'][0]['loc'][-1] == field, (
                name,
                field,
                r.status_code,
                r.text[:200],
            )
            sent += 1
    assert sent >= 8, sent


def test_a_model_lightgbm_cannot_read_never_takes_the_server_down(tmp_path):
    """A hand-edited model file whose recorded hash was updated to match: LightGBM would abort the
    process that parses it."""
    from quantml.registry import ModelRegistry
    from quantml.trainer import train_model
    from quantml.dataset import LabelSpec

    market = synth_market(20, 500, seed=3, signal=1.0)
    ingest(market, tmp_path / 'p.duckdb')
    reg = ModelRegistry(tmp_path / 'models')
    v = reg.save(
        train_model(market, LabelSpec('excess'), cv_folds=0, baselines=False, num_threads=1)
    )
    reg.promote(v)
    f = tmp_path / 'models' / v / 'model.txt'
    text = f.read_text().replace('tree_sizes=', 'tree_sizes=9', 1)
    f.write_text(text)
    idx = json.loads((tmp_path / 'models' / 'registry.json').read_text())
    idx['versions'][v]['model_sha256'] = __import__('hashlib').sha256(text.encode()).hexdigest()
    (tmp_path / 'models' / 'registry.json').write_text(json.dumps(idx))
    url, proc = _serve(tmp_path)
    try:
        # the first request does not kill it, nor the second
        for _ in range(2):
            r = httpx.get(url + '/api/v1/ml/signals/SYN004', timeout=60)
            assert r.status_code == 200, r.text
            s = r.json()
            assert (
                s['source'] == 'heuristic'
                and v in s['fallback_reason']
                and 'LightGBM cannot read it' in s['fallback_reason']
            ), s
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    env = {**os.environ, 'QUANTML_HOME': str(tmp_path)}
    sig = subprocess.run(
        [
            QUANTML,
            'signal',
            'SYN004',
            '--db',
            str(tmp_path / 'p.duckdb'),
            '--registry',
            str(tmp_path / 'models'),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert sig.returncode == 0 and 'LightGBM cannot read it' in sig.stdout, (
        sig.returncode,
        sig.stdout,
        sig.stderr,
    )
    ver = subprocess.run(
        [QUANTML, 'models', 'verify', '--registry', str(tmp_path / 'models')],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ver.returncode == 1 and 'LightGBM cannot read it' in ver.stdout, (ver.stdout, ver.stderr)


def test_serve_talks_and_a_busy_port_is_one_line(tmp_path):
    ingest(synth_market(12, 300, seed=1, signal=0.0), tmp_path / 'p.duckdb')
    url, proc = _serve(tmp_path)
    try:
        first = proc.stdout.readline()
        assert f'quantml API on {url}' in first and f'{url}/docs' in first, first
        assert httpx.get(url + '/health', timeout=10).status_code == 200
        assert httpx.get(url + '/api/v1/ml/models/v9', timeout=10).status_code == 404
        port = url.rsplit(':', 1)[1]
        busy = subprocess.run(
            [
                QUANTML,
                'serve',
                '--port',
                port,
                '--db',
                str(tmp_path / 'p.duckdb'),
                '--registry',
                str(tmp_path / 'models'),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (
            busy.returncode == 1
            and 'Traceback' not in busy.stderr
            and len(busy.stderr.strip().splitlines()) == 1
        ), busy.stderr
        assert f'cannot listen on 127.0.0.1:{port}' in busy.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    err = (tmp_path / 'server.log').read_text()
    log = [l for l in err.splitlines() if l.startswith(('GET ', 'POST ', 'DELETE '))]
    assert any(l.startswith('GET /health 200 ') and l.endswith(' ms') for l in log), err
    assert any(l.startswith('GET /api/v1/ml/models/v9 404 ') for l in log), err


CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (CI installs it for the docs check)"
)
def test_docs_page_works_with_the_network_cut(server, tmp_path):
    """Swagger UI's files come from the app, not a CDN: with every host but loopback unresolvable,
    /docs still lists the operations."""
    flags = [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
        '--virtual-time-budget=15000',
        f'--user-data-dir={tmp_path / "profile"}',
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, '--dump-dom', server + '/docs'],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'cdn.jsdelivr.net' not in dom and '/static/swagger-ui/swagger-ui-bundle.js' in dom
    for path in ('/api/v1/ml/train', '/api/v1/ml/signals/{symbol}', '/api/v1/ml/jobs/{job_id}'):
        assert f'data-path="{path}"' in dom or f'>{path}<' in dom.replace('\u200b', ''), path


def test_an_ingest_while_the_server_answers(data_dir, tmp_path):
    """The S&P file loaded into the store of a running server while four clients ask it for signals:
    the ingest completes; every answer is 200 or 503."""
    import collections, threading

    sp = data_dir / 'sp500_5yr_kaggle_2013_2018.csv.gz'
    ingest(sp, tmp_path / 'p.duckdb')
    url, proc = _serve(tmp_path)
    codes, stop = collections.Counter(), threading.Event()

    def client(sym):
        with httpx.Client(timeout=60) as c:
            while not stop.is_set():
                codes[c.get(f'{url}/api/v1/ml/signals/{sym}').status_code] += 1

    threads = [threading.Thread(target=client, args=(s,)) for s in ('AAPL', 'MSFT', 'XOM', 'JPM')]
    try:
        for t in threads:
            t.start()
        time.sleep(2)
        before = sum(codes.values())
        r = subprocess.run(
            [QUANTML, 'ingest', str(sp), '--db', str(tmp_path / 'p.duckdb'), '--adjust-splits'],
            capture_output=True,
            text=True,
            timeout=300,
        )
        time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
        proc.terminate()
        proc.wait(timeout=30)
    assert r.returncode == 0, r.stderr
    # it wrote: the splits were adjusted
    assert 'adjusted DISCA' in r.stdout
    assert before > 0 and set(codes) <= {200, 503} and codes[200] > before, codes


def test_an_idle_server_lets_an_ingest_in(tmp_path):
    """A server that answered once and then sits idle holds the store read-only: an ingest must
    still get in (it waited forever before)."""
    ingest(synth_market(5, 300, seed=5), tmp_path / 'p.duckdb')
    url, proc = _serve(tmp_path)
    try:
        # the store is now held
        assert httpx.get(f'{url}/api/v1/ml/signals/SYN001', timeout=60).status_code == 200
        synth_market(5, 310, seed=5).to_csv(tmp_path / 'more.csv', index=False)
        r = subprocess.run(
            [
                QUANTML,
                'ingest',
                str(tmp_path / 'more.csv'),
                '--db',
                str(tmp_path / 'p.duckdb'),
                '--wait',
                '20',
                '--json',
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)['rows_inserted'] == 50
        # and the server sees the new bars
        after = httpx.get(f'{url}/api/v1/ml/signals/SYN001', timeout=60).json()
        assert after['as_of'] == str(synth_market(5, 310, seed=5).date.max().date())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
