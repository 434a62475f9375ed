"""Laws, fit and plan must import and work without torch (the [lab] extra)."""

import subprocess
import sys

CODE = """
import sys

class NoTorch:  # behave as if the [lab] extra were not installed
    def find_spec(self, name, path=None, target=None):
        if name == 'torch' or name.startswith('torch.'):
            raise ImportError('torch is blocked in this test')

sys.meta_path.insert(0, NoTorch())
import scalinglab, scalinglab.laws, scalinglab.plan, scalinglab.cli
from scalinglab.plan import plan_compute
assert plan_compute(1e21).n_params > 0
assert 'torch' not in sys.modules
print('ok')
"""


def test_core_imports_without_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "scalinglab", "laws", "show", "epoch2024", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"epoch2024"' in out.stdout
