#!/usr/bin/env bash
# A real oidc-provider on 127.0.0.1 (dynamic port) issues client-credentials JWT access tokens
# that Mandate accepts through discovery, across a key rotation and a key removal.
# usage: oidc_rotation.sh MANDATE_BIN DRIVER_BIN
set -euo pipefail
timeout 120 node tests/identity/oidc_rotation.mjs "$2"
