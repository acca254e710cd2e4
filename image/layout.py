"""The disk layout of the appliance image, as values.

One GPT disk: the EFI system partition (GRUB, its config and the boot-counting
environment), two read-only root slots A and B (a squashfs each; RAUC writes the
inactive one), and the data partition (database, recordings, config, TLS key)
that updates never touch and that the first boot grows to the end of the disk.
The partition UUIDs are fixed, so the kernel command line and fstab can name
partitions without probing, and two builds give the same partition table.
"""
from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
SECTOR = 512

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
LINUX_DATA = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

DISK_GUID = "5C0A11B0-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Partition:
    name: str            # GPT partition label (PARTLABEL), also the udev by-partlabel name
    number: int
    size_mib: int
    type_guid: str
    uuid: str            # PARTUUID, fixed so the boot config can name it

    @property
    def size(self) -> int:
        return self.size_mib * MiB


# Sizes: the root squashfs measured about 320 MiB; 1 GiB slots leave room for three
# times that. The data partition is small in the image (sparse; only its few
# metadata blocks are written) and grows on first boot.
ESP = Partition("esp", 1, 64, ESP_TYPE, "5C0A11B0-0001-4000-8000-000000000001")
ROOT_A = Partition("rootfs-a", 2, 1024, LINUX_ROOT_X86_64, "5C0A11B0-0002-4000-8000-000000000002")
ROOT_B = Partition("rootfs-b", 3, 1024, LINUX_ROOT_X86_64, "5C0A11B0-0003-4000-8000-000000000003")
DATA = Partition("data", 4, 128, LINUX_DATA, "5C0A11B0-0004-4000-8000-000000000004")
PARTITIONS = (ESP, ROOT_A, ROOT_B, DATA)
SLOTS = {"A": ROOT_A, "B": ROOT_B}

FIRST_LBA_MIB = 1          # 1 MiB alignment before the first partition
TAIL_MIB = 1               # room for the backup GPT


def offsets() -> dict[str, int]:
    """Byte offset of each partition on the disk."""
    out, at = {}, FIRST_LBA_MIB * MiB
    for p in PARTITIONS:
        out[p.name] = at
        at += p.size
    return out


def disk_size() -> int:
    """Size of the raw image in bytes: the partitions, the leading MiB and the backup GPT."""
    return (FIRST_LBA_MIB + sum(p.size_mib for p in PARTITIONS) + TAIL_MIB) * MiB


def sfdisk_script() -> str:
    """The partition table as an sfdisk script (sfdisk writes exactly this)."""
    off = offsets()
    lines = ["label: gpt", f"label-id: {DISK_GUID}", "unit: sectors",
             f"first-lba: {FIRST_LBA_MIB * MiB // SECTOR}", ""]
    for p in PARTITIONS:
        lines.append(f"start={off[p.name] // SECTOR}, size={p.size // SECTOR}, "
                     f"type={p.type_guid}, uuid={p.uuid}, name=\"{p.name}\"")
    return "\n".join(lines) + "\n"


def fstab() -> str:
    """The root filesystem's fstab: the ESP (GRUB environment) and the data partition."""
    return (f"PARTUUID={ESP.uuid.lower()} /boot/efi vfat umask=0077,noatime,nofail 0 2\n"
            f"PARTUUID={DATA.uuid.lower()} /data ext4 noatime,data=ordered 0 2\n")
