import gc
import sys

from docclass.cli import main


def run() -> int:
    code = main()
    # The process ends now, its store closed and its output written: the interpreter's last
    # full collection would walk every imported module's objects for nothing, and frozen
    # objects are skipped (bench/throughput.py times the whole ``classify`` process).
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
