"""Partition layout values and the rendered config files of the image."""
from __future__ import annotations

import configparser
import subprocess
import json
from pathlib import Path

import pytest

from firmware import config as config_mod
from firmware.errors import ConfigError
from image import build, layout, render


def test_partitions_are_aligned_ordered_and_fit() -> None:
    off = layout.offsets()
    at = layout.FIRST_LBA_MIB * layout.MiB
    for p in layout.PARTITIONS:
        assert off[p.name] == at and off[p.name] % layout.MiB == 0
        at += p.size
    assert layout.disk_size() == at + layout.TAIL_MIB * layout.MiB
    assert [p.number for p in layout.PARTITIONS] == [1, 2, 3, 4]
    assert layout.ROOT_A.size == layout.ROOT_B.size           # either slot takes any bundle
    assert len({p.uuid for p in layout.PARTITIONS}) == 4


def test_sfdisk_writes_the_layout(tmp_path: Path) -> None:
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(layout.disk_size())
    subprocess.run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", str(disk)],
                   input=layout.sfdisk_script().encode(), check=True)
    table = json.loads(subprocess.run(["sfdisk", "--json", str(disk)], capture_output=True,
                                      check=True).stdout)["partitiontable"]
    assert table["label"] == "gpt" and table["id"] == layout.DISK_GUID
    got = [(p["start"] * 512, p["size"] * 512, p["type"], p["uuid"], p["name"])
           for p in table["partitions"]]
    off = layout.offsets()
    assert got == [(off[p.name], p.size, p.type_guid, p.uuid, p.name) for p in layout.PARTITIONS]


def test_grub_cfg_counts_three_tries_per_slot() -> None:
    cfg = render.grub_cfg()
    for name, part in layout.SLOTS.items():
        assert f"root=PARTUUID={part.uuid.lower()}" in cfg
        assert f"rauc.slot={name}" in cfg and f"gpt{part.number})/boot/vmlinuz" in cfg
        assert f'if [ "$OK" = "1" -a "$TRY" != "3" ]; then' in cfg
        assert f"set {name}_TRY=$NEXT" in cfg
    # 0 -> 1 -> 2 -> 3, and a slot at 3 is skipped
    assert 'if [ "$TRY" = "0" -o -z "$TRY" ]; then NEXT=1' in cfg
    assert 'elif [ "$TRY" = "1" ]; then NEXT=2' in cfg
    assert 'elif [ "$TRY" = "2" ]; then NEXT=3' in cfg
    assert 'NEXT=4' not in cfg
    assert "save_env --file $envfile A_TRY B_TRY" in cfg
    assert render.grub_cfg(tries=5).count("elif") == 2 * 4


def test_each_boot_entry_says_which_step_it_is_in() -> None:
    cfg = render.grub_cfg()
    for name in layout.SLOTS:
        entry = cfg[cfg.index(f'menuentry "Callbox slot {name}"'):]
        entry = entry[:entry.index("}")]
        steps = [line.strip() for line in entry.splitlines()[1:]
                 if line.strip().startswith(("echo", "linux", "initrd"))]
        assert [s.split()[0] for s in steps] == ["echo", "linux", "echo", "initrd", "echo"]
        assert steps[-1] == f'echo "callbox: slot {name}: starting the kernel"'


def test_grubenv_is_a_1024_byte_block() -> None:
    env = render.grubenv()
    assert len(env) == 1024 and env.startswith(b"# GRUB Environment Block\n")
    assert b"ORDER=A B\nA_OK=1\nA_TRY=0\nB_OK=0\n" in env


def test_rauc_system_conf_names_the_slots() -> None:
    conf = configparser.ConfigParser()
    conf.read_string(render.rauc_system_conf())
    assert conf["system"]["compatible"] == render.COMPATIBLE
    assert conf["system"]["bootloader"] == "grub"
    assert conf["system"]["bundle-formats"] == "-plain"
    assert conf["system"]["statusfile"].startswith("/data/")    # survives updates
    slots = {conf[s]["bootname"]: conf[s]["device"] for s in conf.sections()
             if s.startswith("slot.")}
    assert slots == {n: f"/dev/disk/by-partuuid/{p.uuid.lower()}"
                     for n, p in layout.SLOTS.items()}


def test_manifest_and_version() -> None:
    m = configparser.ConfigParser()
    m.read_string(render.rauc_manifest("0.1.0.5"))
    assert dict(m["update"]) == {"compatible": render.COMPATIBLE, "version": "0.1.0.5"}
    assert m["bundle"]["format"] == "verity"
    assert render.image_version("0.1.0", 1796452555) == "0.1.0.1796452555"


def test_image_config_is_valid_and_lan_facing(tmp_path: Path) -> None:
    p = tmp_path / "callbox.toml"
    p.write_text(render.callbox_toml())
    cfg = config_mod.load(p)
    assert cfg.sip.listen == "0.0.0.0"                  # phones on the LAN reach the edge
    assert (cfg.web.listen, cfg.web.port) == ("127.0.0.1", 8080)   # behind nginx on 443
    assert cfg.web.trusted_proxy == "127.0.0.1"
    assert str(cfg.var_dir) == "/data/callbox"          # the data partition
    assert (cfg.discovery.address, cfg.discovery.web_port) == ("0.0.0.0", 443)


@pytest.mark.parametrize("body, key", [
    ('[discovery]\naddress = "lan"', "discovery.address"),
    ("[discovery]\nweb_port = 70000", "discovery.web_port"),
    ("[discovery]\nweb_port = true", "discovery.web_port")])
def test_discovery_keys_refuse_bad_values(tmp_path: Path, body: str, key: str) -> None:
    p = tmp_path / "callbox.toml"
    p.write_text(body + "\n")
    with pytest.raises(ConfigError, match=key):
        config_mod.load(p)


def test_fstab_mounts_esp_and_data_by_partuuid() -> None:
    lines = layout.fstab().splitlines()
    assert lines[0].startswith(f"PARTUUID={layout.ESP.uuid.lower()} /boot/efi vfat")
    assert lines[1].startswith(f"PARTUUID={layout.DATA.uuid.lower()} /data ext4")


def test_failed_step_leaves_no_output(tmp_path: Path) -> None:
    out = tmp_path / "callbox.img"
    with pytest.raises(build.StepFailed):
        with build.atomic(out) as tmp:
            tmp.write_bytes(b"half")
            raise build.StepFailed("mkfs failed")
    assert list(tmp_path.iterdir()) == []
    with build.atomic(out) as tmp:
        tmp.write_bytes(b"whole")
    assert out.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [out]


def test_build_names_the_failed_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Signing sums of an image that was never built: the step names itself, leaves nothing."""
    rc = build.main(["--out", str(tmp_path / "out"), "--key", str(tmp_path / "nodir/k.key"),
                     "--cert", str(tmp_path / "nodir/k.crt"), "--only", "keys,sums"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "[2/2] sums: signed SHA256SUMS" in out and "image: step 'sums' failed" in out
    assert not (tmp_path / "out/SHA256SUMS").exists()
    assert not (tmp_path / "out/SHA256SUMS.sig").exists()


def test_packages_include_the_daemon_dependencies() -> None:
    names = build.packages()
    for p in ("kamailio", "python3.11", "espeak-ng", "sox", "rauc", "linux-image-amd64",
              "grub-efi-amd64-bin", "nginx-light"):
        assert p in names


def test_a_folder_output_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "wheels"
    out.mkdir()
    (out / "old.whl").write_bytes(b"old")
    with build.atomic(out) as tmp:
        tmp.mkdir()
        (tmp / "new.whl").write_bytes(b"new")
    assert [p.name for p in out.iterdir()] == ["new.whl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wheels"]


def test_every_build_tool_gets_the_epoch_and_a_fixed_hash_seed(tmp_path: Path) -> None:
    """What made two rootfs builds byte-identical (docs/image.md, Reproducible builds)."""
    b = build.Build(tmp_path, tmp_path / "k", tmp_path / "c", 1796473438, "0.1.0.1796473438")
    env = build._repro_env(b, MTOOLS_SKIP_CHECK="1")
    assert (env["SOURCE_DATE_EPOCH"], env["PYTHONHASHSEED"], env["TZ"]) == (
        "1796473438", "0", "UTC")
    assert env["MTOOLS_SKIP_CHECK"] == "1" and env["PATH"]     # the rest of the caller's
