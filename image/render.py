"""Configuration files of the image, rendered from the layout and build values.

Rendered, not copied, because they name the partitions, the slot names and the
bundle version that image/layout.py and the build decide; tests/image checks each
against those values.
"""
from __future__ import annotations

from image import layout

COMPATIBLE = "callbox-x86_64"
BOOT_TRIES = 3
KERNEL_ARGS = "ro console=tty0 console=ttyS0,115200 panic=10 quiet"


def grub_cfg(tries: int = BOOT_TRIES) -> str:
    """GRUB's config on the ESP: pick a slot by ORDER, count its boots, fall back.

    RAUC's GRUB backend keeps ORDER, <slot>_OK and <slot>_TRY in grubenv: installing
    a bundle puts the new slot first with OK=1 TRY=0, marking a slot good sets TRY=0,
    marking it bad sets OK=0. GRUB cannot add, so the count is spelled out: each boot
    of a slot steps its TRY 0 -> 1 -> ... -> tries, and a slot whose TRY reached
    `tries` without being marked good is skipped, so the next slot in ORDER boots.

    Each boot entry says on the console what it is about to do (kernel, initrd,
    start), so a boot that seems to hang before the kernel speaks shows which step
    it is in (in qemu under TCG: GRUB reading the initrd for minutes on some boots).
    """
    steps = "\n".join(
        f'        elif [ "$TRY" = "{n}" ]; then NEXT={n + 1}' for n in range(1, tries))
    slots = []
    for name, part in layout.SLOTS.items():
        slots.append(f"""\
    if [ "$SLOT" = "{name}" -a -z "$chosen" ]; then
        OK=${name}_OK
        TRY=${name}_TRY
        if [ "$OK" = "1" -a "$TRY" != "{tries}" ]; then
            if [ "$TRY" = "0" -o -z "$TRY" ]; then NEXT=1
{steps}
            fi
            set {name}_TRY=$NEXT
            set chosen={name}
        fi
    fi""")
    entries = []
    for name, part in layout.SLOTS.items():
        entries.append(f"""\
menuentry "Callbox slot {name}" --id slot{name} {{
    echo "callbox: slot {name}: loading the kernel"
    linux ($bootdisk,gpt{part.number})/boot/vmlinuz root=PARTUUID={part.uuid.lower()} \
rootfstype=squashfs rauc.slot={name} {KERNEL_ARGS}
    echo "callbox: slot {name}: loading the initrd"
    initrd ($bootdisk,gpt{part.number})/boot/initrd.img
    echo "callbox: slot {name}: starting the kernel"
}}""")
    first = next(iter(layout.SLOTS))
    return f"""\
# Callbox boot selection (rendered by image/render.py; RAUC edits grubenv, not this file)
set timeout=1
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
regexp --set 1:bootdisk '^([^,]+),' "$root"
set envfile=($root)/EFI/BOOT/grubenv

set ORDER="{' '.join(layout.SLOTS)}"
{chr(10).join(f'set {n}_OK=0{chr(10)}set {n}_TRY=0' for n in layout.SLOTS)}
load_env --file $envfile

set chosen=
for SLOT in $ORDER; do
{chr(10).join(slots)}
done
if [ -z "$chosen" ]; then
    # every slot used its tries: boot the first slot without counting (better than none)
    echo "callbox: no slot left to try; booting {first} for rescue"
    set chosen={first}
else
    save_env --file $envfile {' '.join(f'{n}_TRY' for n in layout.SLOTS)}
fi
echo "callbox: booting slot $chosen"
set default=slot$chosen

{chr(10).join(entries)}
"""


def grub_early_cfg() -> str:
    """Embedded in BOOTX64.EFI: find the ESP's grub.cfg next to the binary."""
    return "configfile ($root)/EFI/BOOT/grub.cfg\n"


def grubenv(tries_a: int = 0) -> bytes:
    """The initial 1024-byte GRUB environment block: slot A good, B empty."""
    body = (f"# GRUB Environment Block\nORDER=A B\nA_OK=1\nA_TRY={tries_a}\n"
            "B_OK=0\nB_TRY=0\n")
    return (body + "#" * (1024 - len(body))).encode()


def rauc_system_conf() -> str:
    slots = "\n".join(f"""\
[slot.rootfs.{i}]
device=/dev/disk/by-partuuid/{p.uuid.lower()}
type=raw
bootname={name}
""" for i, (name, p) in enumerate(layout.SLOTS.items()))
    return f"""\
[system]
compatible={COMPATIBLE}
bootloader=grub
grubenv=/boot/efi/EFI/BOOT/grubenv
statusfile=/data/rauc/status.raucs
bundle-formats=-plain
max-bundle-download-size=1073741824

[keyring]
path=/etc/rauc/keyring.pem

{slots}"""


def rauc_manifest(version: str, image: str = "rootfs.squashfs") -> str:
    return f"""\
[update]
compatible={COMPATIBLE}
version={version}

[bundle]
format=verity

[image.rootfs]
filename={image}
"""


def callbox_toml() -> str:
    """The daemon's config in the image: LAN-facing SIP, web UI behind nginx, data on /data."""
    return """\
# Callbox appliance configuration (read-only in the image; rendered by image/render.py)
[paths]
var = "/data/callbox"

[sip]
# 0.0.0.0 is replaced at each start by the LAN address (/usr/lib/callbox/lan-config)
listen = "0.0.0.0"
port = 5060

[web]
# the daemon serves on loopback; nginx terminates HTTPS on 443 (and redirects 80)
listen = "127.0.0.1"
port = 8080
trusted_proxy = "127.0.0.1"     # nginx: believe its X-Forwarded-For, nobody else's

[discovery]
# announce nginx's HTTPS port on the LAN address (filled in like sip.listen)
address = "0.0.0.0"
web_port = 443

[hardware]
profile = "sim"
"""


def image_version(project_version: str, epoch: int) -> str:
    """Bundle version: the project's version and the build's SOURCE_DATE_EPOCH (monotonic)."""
    return f"{project_version}.{epoch}"
