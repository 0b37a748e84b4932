"""Save every notebook with the kernelspec a fresh install has, so that opening one in JupyterLab changes nothing.

    python tools/kernelspec.py [--check]

`nbdev-clean` writes the kernelspec's display name as its name ("python3"); ipykernel installs the kernel as
"Python 3 (ipykernel)", and JupyterLab rewrites the notebook's metadata to match on opening it, marking it modified.
Run after `nbdev-clean` (CI does, before it checks that the tree is what the tools make). --check changes nothing and
exits 1, naming the notebooks, when one differs."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def installed_kernelspec() -> dict:
    "The kernelspec metadata of the kernel ipykernel installs: name, display name, language."
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict
    k = get_kernel_dict()
    return dict(display_name=k['display_name'], language=k['language'], name=KERNEL_NAME)

def differing(spec: dict) -> list:
    "The notebooks whose saved kernelspec is not `spec`."
    return [p for p in sorted((ROOT / 'nbs').glob('*.ipynb')) if json.loads(p.read_text()).get('metadata', {}).get('kernelspec') != spec]

def main(argv) -> int:
    spec, check = installed_kernelspec(), '--check' in argv
    bad = differing(spec)
    if check:
        for p in bad: print(f"{p.relative_to(ROOT)}: kernelspec is not {spec}")
        return 1 if bad else 0
    for p in bad:
        text = p.read_text()
        nb = json.loads(text)
        nb.setdefault('metadata', {})['kernelspec'] = spec
        out = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'       # nbdev-clean's layout, so the diff is the kernelspec alone
        p.write_text(out)
    return 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
