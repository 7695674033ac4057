#!/bin/sh
# Placeholder: filled in by the setup-llama-server.sh work.
echo "setup-llama-server.sh: not written yet" >&2
exit 1
