"""tests/e2e/processes.py counts a process tree's CPU, live children and reaped ones alike."""
import subprocess
import sys
import textwrap

from tests.e2e.processes import tree_cpu_seconds

BURN = textwrap.dedent("""
    import subprocess, sys, time
    # a grandchild that burns 0.4 CPU-s and is reaped, then this child burns 0.4 CPU-s itself
    subprocess.run([sys.executable, "-c", "import time\\nwhile time.process_time() < 0.4: pass"], check=True)
    while time.process_time() < 0.4:
        pass
    print("done", flush=True)
    sys.stdin.readline()  # stay alive until the test has measured
""")


def test_a_tree_counts_its_own_time_and_its_reaped_childrens():
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        used = tree_cpu_seconds({"child": child.pid, "gone": 2**22 + 12345})
        assert used["child"] >= 0.8 - 0.05  # its own 0.4 plus the reaped grandchild's 0.4
        assert used["gone"] == 0.0  # a pid that does not exist counts nothing
    finally:
        child.communicate("\n", timeout=30)
