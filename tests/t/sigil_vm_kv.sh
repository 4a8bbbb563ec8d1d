#!/usr/bin/env bash
# sigil_vm_kv.sh — the kv system booted as a VM, twice (redis through the
# forward, a value kept across the reboot): tests/vm/kv.py, written with the
# VM test driver tests/vm/driver.py.
exec python3 "$(dirname "$0")/../vm/kv.py"
