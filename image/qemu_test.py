"""``make image-test``: the built image in qemu -- boot, health, update, rollback, watchdog.

qemu-system-x86_64 (q35, OVMF, an i6300esb hardware watchdog; KVM when /dev/kvm
opens, else TCG; ``--accel tcg`` forces TCG) boots a copy-on-write overlay of
build/callbox.img, 4 GiB so the first boot grows the data partition. A second
disk labelled CBTEST carries a script signed with the release key (the image's
test hook runs it; see image/rootfs/usr/lib/callbox/test-hook) and two bundles
made from the build: a good update (same root, next version) and a bad one
(the daemon's ExecStart is /bin/false, so that slot never becomes healthy).

The script keeps its phase on /data (which updates never touch):
  1  slot A healthy -> ``callbox selftest`` -> SIGSTOP the daemon, time the restart
     -> ``callbox update good.raucb`` -> reboot
  2  slot B healthy (good update booted and marked good) -> install the bad bundle
     -> reboot
  3  the bad slot boots, never gets healthy, the boot deadline reboots it; after
     3 tries GRUB falls back to B, which reports healthy -> power off
The host side reads the serial console, times each stage, and checks health over
the forwarded HTTPS port (nginx in the guest). Figures go to stdout and to
build/image-test.json for docs/image.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import io
import time
import urllib.request
from pathlib import Path

from firmware import signing
from image import render

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")

GUEST_SCRIPT = r"""#!/bin/sh
# image-test phases (image/qemu_test.py); runs at every boot from the CBTEST disk
slot=$(sed -n 's/.*rauc\.slot=\([AB]\).*/\1/p' /proc/cmdline)
mkdir -p /data/cbtest
phase=$(cat /data/cbtest/phase 2>/dev/null || echo 1)
up() { cut -d' ' -f1 /proc/uptime; }
echo "CBTEST boot slot=$slot phase=$phase uptime=$(up)"
n=0
until [ -e /run/callbox/slot-good ]; do
    sleep 2; n=$((n + 1))
    [ $((n % 15)) = 0 ] && echo "CBTEST waiting slot=$slot uptime=$(up) daemon: $(systemctl show -p ActiveState,StatusText --value callbox.service | tr '\n' ' ')"
done
echo "CBTEST healthy slot=$slot phase=$phase uptime=$(up)"
rauc status --output-format=shell | grep -E 'BOOTED|PRIMARY|SLOT_1_BOOT_STATUS|SLOT_2_BOOT_STATUS' | sed 's/^/CBTEST rauc /'
case "$phase" in
1)
    cd /data/callbox && callbox selftest --profile sim --config /etc/callbox/callbox.toml > /data/cbtest/selftest.txt 2>&1
    echo "CBTEST selftest rc=$? $(tail -1 /data/cbtest/selftest.txt)"
    pid=$(systemctl show -p MainPID --value callbox.service)
    t0=$(up)
    kill -STOP "$pid"
    echo "CBTEST sigstop pid=$pid uptime=$t0"
    while :; do
        now=$(systemctl show -p MainPID --value callbox.service)
        [ "$now" != "$pid" ] && [ "$now" != 0 ] && break
        sleep 0.2
    done
    echo "CBTEST restarted pid=$now after=$(echo "$(up) $t0" | awk '{printf "%.1f", $1-$2}') s"
    until systemctl is-active -q callbox.service; do sleep 1; done
    echo "CBTEST active-again after=$(echo "$(up) $t0" | awk '{printf "%.1f", $1-$2}') s"
    t0=$(up)
    callbox update /run/cbtest/good.raucb; rc=$?
    echo "CBTEST update-good rc=$rc took=$(echo "$(up) $t0" | awk '{printf "%.1f", $1-$2}') s"
    echo 2 > /data/cbtest/phase; sync
    [ $rc = 0 ] && systemctl reboot
    ;;
2)
    cat /etc/callbox/image-version | sed 's/^/CBTEST version /'
    # the bad bundle arrives on a disk the host plugs in once it is built
    until [ -e /dev/disk/by-label/CBBUNDLE ]; do sleep 2; done
    mkdir -p /run/cbbundle && mount -o ro /dev/disk/by-label/CBBUNDLE /run/cbbundle
    # under TCG a boot takes minutes: a shorter deadline for the bad slot's tries
    echo 200 > /data/callbox/boot-deadline-s
    callbox update /run/cbbundle/bad.raucb; rc=$?
    echo "CBTEST update-bad rc=$rc"
    echo 3 > /data/cbtest/phase; sync
    [ $rc = 0 ] && systemctl reboot
    ;;
3)
    cat /etc/callbox/image-version | sed 's/^/CBTEST version /'
    echo "CBTEST rolled-back slot=$slot"
    rm -f /data/callbox/boot-deadline-s
    echo 4 > /data/cbtest/phase; sync
    systemctl poweroff
    ;;
esac
"""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def accel(forced: str | None) -> str:
    """TCG unless KVM is asked for (``--accel kvm``): on this kind of machine /dev/kvm
    opens but nested KVM stops the guest with 'KVM internal error', so an open device
    proves nothing, and the proof must hold under TCG anyway."""
    return forced or "tcg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def derived_bundle(work: Path, build: Path, key: Path, cert: Path, version: str,
                   broken: bool) -> Path:
    """A bundle from the built root: the same squashfs, or one whose daemon never starts."""
    sq = build / "image" / "rootfs-good.squashfs"
    src = work / f"bundle-{'bad' if broken else 'good'}"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    if broken:
        tar = work / "rootfs-bad.tar"
        shutil.copyfile(build / "image" / "rootfs-good.tar", tar)
        dropin = (b"[Service]\nExecStart=\nExecStart=/bin/false\n")
        with tarfile.open(tar, "a") as t:
            d = tarfile.TarInfo("./etc/systemd/system/callbox.service.d")
            d.type, d.mode = tarfile.DIRTYPE, 0o755
            t.addfile(d)
            f = tarfile.TarInfo("./etc/systemd/system/callbox.service.d/broken.conf")
            f.size, f.mode = len(dropin), 0o644
            t.addfile(f, io.BytesIO(dropin))
        with open(tar, "rb") as fi:
            subprocess.run(["tar2sqfs", "--quiet", "--compressor", "gzip", "--comp-extra",
                            "level=6", "--num-jobs", "2",
                            str(src / "rootfs.squashfs")], stdin=fi, check=True)
        tar.unlink()
    else:
        os.link(sq, src / "rootfs.squashfs")
    (src / "manifest.raucm").write_text(render.rauc_manifest(version))
    out = work / f"{src.name}.raucb"
    out.unlink(missing_ok=True)
    subprocess.run(["rauc", "bundle", "--cert", str(cert), "--key", str(key), str(src),
                    str(out)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(src)
    return out


def ext4_disk(work: Path, label: str, files: dict[str, Path | str]) -> Path:
    """An ext4 image labelled *label* holding *files* (name -> path or text)."""
    d = work / label.lower()
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    for name, src in files.items():
        if isinstance(src, Path):
            os.link(src, d / name)
        else:
            (d / name).write_text(src)
    img = work / f"{label.lower()}.ext4"
    img.unlink(missing_ok=True)
    size = sum(f.stat().st_size for f in d.iterdir()) // 2**20 + 64
    subprocess.run(["mkfs.ext4", "-q", "-L", label, "-d", str(d), str(img), f"{size}M"],
                   check=True)
    shutil.rmtree(d)
    return img


def test_disk(work: Path, key: Path, cert: Path, bundles: dict[str, Path]) -> Path:
    script = work / "run.sh"
    script.write_text(GUEST_SCRIPT)
    signing.sign(script, work / "run.sh.sig", key, cert)
    files: dict[str, Path | str] = {"run.sh": script, "run.sh.sig": work / "run.sh.sig"}
    files.update({f"{name}.raucb": b for name, b in bundles.items()})
    return ext4_disk(work, "CBTEST", files)


def qmp(path: Path, *commands: dict[str, object]) -> list[dict[str, object]]:
    """Send QMP commands to qemu (after the greeting and qmp_capabilities)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        f = s.makefile("rw")
        json.loads(f.readline())
        out = []
        for cmd in ({"execute": "qmp_capabilities"}, *commands):
            f.write(json.dumps(cmd) + "\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "return" in reply or "error" in reply:
                    out.append(reply)
                    break
        return out


def plug_disk(qmp_path: Path, img: Path, name: str) -> None:
    """Hot-plug *img* read-only into the running guest (a PCIe root port is kept free)."""
    replies = qmp(qmp_path,
                  {"execute": "blockdev-add", "arguments": {
                      "node-name": name, "driver": "raw", "read-only": True,
                      "file": {"driver": "file", "filename": str(img), "read-only": True}}},
                  {"execute": "device_add", "arguments": {
                      "driver": "virtio-blk-pci", "drive": name, "id": name, "bus": "rp9"}})
    bad = [r for r in replies if "error" in r]
    if bad:
        raise RuntimeError(f"hot-plugging {img.name} failed: {bad}")


def bad_disk(work: str, build: str, key: str, cert: str, version: str) -> None:
    """The bad bundle on a disk labelled CBBUNDLE (run in a child process)."""
    w = Path(work)
    b = derived_bundle(w, Path(build), Path(key), Path(cert), version, True)
    ext4_disk(w, "CBBUNDLE", {"bad.raucb": b})


def https_health(port: int) -> dict[str, object] | None:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/health", context=ctx,
                                    timeout=10) as r:
            return dict(json.load(r))
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="image/qemu_test.py")
    p.add_argument("--build", default=str(REPO / "build"))
    p.add_argument("--accel", choices=("kvm", "tcg"))
    p.add_argument("--key", default=str(REPO / "image/keys/dev.key"))
    p.add_argument("--cert", default=str(REPO / "image/keys/dev.crt"))
    p.add_argument("--timeout", type=int, default=5400, help="whole run, seconds")
    p.add_argument("--boot-only", action="store_true",
                   help="stop once slot A is healthy (the boot-to-healthy figure)")
    args = p.parse_args(argv)
    build, key, cert = Path(args.build), Path(args.key), Path(args.cert)
    image = build / "callbox.img"
    if not image.is_file():
        print("image-test: build/callbox.img is missing; run make image first", file=sys.stderr)
        return 2
    work = build / "image-test"
    work.mkdir(parents=True, exist_ok=True)
    version = (build / "image" / "stage" / "etc/callbox/image-version").read_text().strip()
    v = version.split(".")
    mode = accel(args.accel)
    log(f"image-test: {mode}, image {version}")
    bundles = {}
    if not args.boot_only:
        log("making the good update bundle")
        bundles["good"] = derived_bundle(work, build, key, cert,
                                         ".".join(v[:-1] + [str(int(v[-1]) + 1)]), False)
    cbtest = test_disk(work, key, cert, bundles)
    bad_version = ".".join(v[:-1] + [str(int(v[-1]) + 2)])
    bad_maker = None
    if not args.boot_only:
        # the bad bundle (a whole squashfs) is made while the guest boots, then plugged in
        log("making the bad update bundle in the background")
        bad_maker = subprocess.Popen(
            [sys.executable, "-c", "import sys; from pathlib import Path; "
             "from image.qemu_test import bad_disk; bad_disk(*sys.argv[1:])",
             str(work), str(build), str(key), str(cert), bad_version], cwd=REPO)
    qmp_path = work / "qmp.sock"
    qmp_path.unlink(missing_ok=True)
    disk = work / "disk.qcow2"
    disk.unlink(missing_ok=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(image),
                    str(disk), "4G"], check=True)
    vars_fd = work / "OVMF_VARS.fd"
    shutil.copyfile(OVMF_VARS, vars_fd)
    port = free_port()
    serial = work / "serial.log"
    serial.unlink(missing_ok=True)
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", mode, "-m", "2048",
           "-smp", "2", "-nographic", "-monitor", "none", "-serial", f"file:{serial}",
           "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
           "-drive", f"if=pflash,format=raw,file={vars_fd}",
           # the box's disk pinned first in the boot order: a disk plugged in later
           # otherwise reshuffles OVMF's entries and it tries the network first
           "-drive", f"if=none,id=box,format=qcow2,file={disk}",
           "-device", "virtio-blk-pci,drive=box,bootindex=0",
           "-drive", f"if=virtio,format=raw,file={cbtest},readonly=on",
           "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:443",
           "-device", "virtio-net-pci,netdev=n0,romfile=",
           "-device", "i6300esb", "-watchdog-action", "reset",
           "-device", "pcie-root-port,id=rp9,chassis=9,slot=9",
           "-qmp", f"unix:{qmp_path},server=on,wait=off"]
    if mode == "tcg":
        cmd[cmd.index("-smp") + 1] = "2"
    log(f"qemu: {' '.join(cmd)}")
    t0 = time.monotonic()
    qemu = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    events: list[tuple[float, str]] = []
    figures: dict[str, object] = {"accel": mode, "version": version,
                                  "image_bytes": image.stat().st_size}
    seen = 0
    boots: list[str] = []
    health_checked = False
    rc = 1
    try:
        while time.monotonic() - t0 < args.timeout:
            if qemu.poll() is not None:
                break
            time.sleep(1)
            data = serial.read_bytes() if serial.exists() else b""
            # split on "\n" only: GRUB writes lone "\r"s, which splitlines() would
            # take for ends of lines that never get their "\n"
            complete = data[seen:].split(b"\n")[:-1]
            for raw in complete:
                seen += len(raw) + 1
                line = ANSI.sub("", raw.decode(errors="replace")).strip()
                now = time.monotonic() - t0
                if "callbox: booting slot" in line or line.startswith("CBTEST") or \
                        "callbox-boot-deadline" in line or "watchdog" in line.lower():
                    events.append((now, line))
                    log(f"{now:7.1f} s  {line}")
                m = re.search(r"callbox: booting slot ([AB])", line)
                if m:
                    boots.append(m.group(1))
            if bad_maker is not None and bad_maker.poll() is not None:
                if bad_maker.returncode != 0:
                    log("making the bad bundle failed")
                    break
                plug_disk(qmp_path, work / "cbbundle.ext4", "cbbundle")
                log(f"{time.monotonic() - t0:7.1f} s  bad bundle disk plugged in")
                bad_maker = None
            if not health_checked and any("CBTEST healthy" in e for _, e in events):
                health = https_health(port)
                figures["https_health"] = health and {k: health.get(k) for k in ("status",)}
                log(f"health over the forwarded port {port}: "
                    f"{health and health.get('status')}")
                health_checked = True
                if args.boot_only:
                    break
        figures["boots"] = boots
        figures["events"] = [(round(t, 1), e) for t, e in events]
        first_boot = next((t for t, e in events if "booting slot" in e), None)
        first_healthy = next((t for t, e in events if e.startswith("CBTEST healthy")), None)
        if first_boot is not None and first_healthy is not None:
            figures["boot_to_healthy_s"] = round(first_healthy - first_boot, 1)
        text = "\n".join(e for _, e in events)
        checks = {"healthy over https": bool(figures.get("https_health"))}
        if not args.boot_only:
            checks.update({
                "selftest passed": "CBTEST selftest rc=0" in text,
                "watchdog restarted the stopped daemon": "CBTEST restarted" in text,
                "good update installed": "CBTEST update-good rc=0" in text,
                "good update booted healthy on B": "CBTEST healthy slot=B phase=2" in text,
                "bad update installed": "CBTEST update-bad rc=0" in text,
                "rolled back to B": "CBTEST rolled-back slot=B" in text,
            })
            # boots of the bad slot between installing it and the fallback
            after = boots[boots.index("B") + 1:] if "B" in boots else []
            bad_boots = after[:-1].count("A") if after else 0
            figures["bad_slot_boots"] = bad_boots
            checks["bad slot tried at most 3 times"] = 1 <= bad_boots <= 3
        figures["checks"] = checks
        figures["total_s"] = round(time.monotonic() - t0, 1)
        rc = 0 if all(checks.values()) else 1
        for name, ok in checks.items():
            log(f"{'PASS' if ok else 'FAIL'}  {name}")
    finally:
        if bad_maker is not None and bad_maker.poll() is None:
            bad_maker.kill()
        if qemu.poll() is None:
            qemu.terminate()
            try:
                qemu.wait(30)
            except subprocess.TimeoutExpired:
                qemu.kill()
        (build / f"image-test-{mode}.json").write_text(json.dumps(figures, indent=1) + "\n")
    log(f"image-test: {'passed' if rc == 0 else 'FAILED'}; figures in "
        f"build/image-test-{mode}.json, console in {serial}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
