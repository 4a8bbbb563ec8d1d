#!/usr/bin/env bash
# sigil_vm_efi.sh — `sigil boot --efi`: OVMF and the ESP's GRUB boot the tiny
# system (slow tier): tests/vm/efi.py, with the VM test driver.
exec python3 "$(dirname "$0")/../vm/efi.py"
