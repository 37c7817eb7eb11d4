#!/usr/bin/env bash
# Set up (once) and run LR Lab: a virtual environment in ./.venv with requirements.txt, then
# `streamlit run app.py`. Extra arguments go to streamlit (e.g. --server.port 8600).
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/venv.sh requirements.txt
exec .venv/bin/python -m streamlit run app.py "$@"
