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
     3 tries GRUB falls back to B, which reports healthy -> waits for the host
The host side reads the serial console, times each stage, checks health over the
forwarded HTTPS port (nginx in the guest) when slot A is healthy and after the
fallback, then powers the guest off and reads the log to its last byte. The
verdict (image/console.py) rests on GRUB's boot lines, RAUC's booted slot and the
host's own probes, never on a last line the guest printed before it went away.
The watchdog's bound (WatchdogSec + RestartSec, read from the daemon's unit) is
checked against systemd's own journal times. Figures go to stdout and to
build/image-test-<accel>.json for docs/image.md.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import BinaryIO, Iterator

from firmware import signing, slot
from image import console, render, units

REPO = Path(__file__).resolve().parent.parent
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
#: after the fallback slot's health probe, how long the guest may take to print the
#: rest of its lines (RAUC's booted slot, "done"); `rauc status` alone took seconds
#: under TCG, and powering off at the probe lost that line (6 Dec run)
LAST_LINES_S = 180.0

GUEST_SCRIPT = r"""#!/bin/sh
# image-test phases (image/qemu_test.py); runs at every boot from the CBTEST disk
# Out through /dev/console (ttyS0 here), not the /dev/ttyS0 the hook opened: when
# serial-getty starts on ttyS0 after this script it hangs the tty up (vhangup), and
# every later write through a /dev/ttyS0 descriptor fails with EIO -- a fast boot
# lost all its CBTEST lines that way. Descriptors opened through /dev/console are
# not hung up (the daemon's console output survived in the same run).
exec > /dev/console 2>&1
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
# the booted slot as RAUC sees it (not the kernel command line), in a short line
rauc status --output-format=json 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError as exc:
    s = {"booted": "unknown", "boot_primary": "unknown (%s)" % exc}
print("booted=%s primary=%s" % (s.get("booted"), s.get("boot_primary")))' \
    | sed "s/^/CBTEST rauc phase=$phase /"
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
    # systemd's own times (journal, monotonic = uptime here): the watchdog firing and
    # the restart it scheduled RestartSec later; then the new main process's start
    mono() { journalctl -b -u callbox.service -o short-monotonic --no-pager 2>/dev/null \
        | grep -F "$1" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' \
        | awk -v t0="$t0" '$1 > t0 { print; exit }'; }
    n=0
    until [ -n "$(mono 'Scheduled restart job')" ] || [ $n -ge 20 ]; do sleep 1; n=$((n + 1)); done
    started=$(systemctl show -p ExecMainStartTimestampMonotonic --value callbox.service)
    echo "CBTEST watchdog stop=$t0 fired=$(mono 'Watchdog timeout') restart=$(mono 'Scheduled restart job') newpid=$(echo "$started" | awk '{printf "%.3f", $1 / 1e6}')"
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
    rm -f /data/callbox/boot-deadline-s
    echo 4 > /data/cbtest/phase; sync
    echo "CBTEST rolled-back slot=$slot"
    # the host probes health over HTTPS, reads these lines, then powers the guest off;
    # powering off here lost the last line once. Off anyway if the host is gone.
    echo "CBTEST done: waiting for the host"
    sleep 900
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


def https_status(port: int, tries: int = 1) -> str | None:
    """/api/health over the forwarded HTTPS port (nginx -> daemon), judged as the
    daemon judges its slot (``slot.healthy_for_boot``): "ok", else what is not ok;
    None when nothing answered. Retried for a phase whose daemon may be settling."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    status: str | None = None
    for i in range(tries):
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/health", context=ctx,
                                        timeout=10) as r:
                health = json.load(r)
            ok, why = slot.healthy_for_boot(health)
            status = "ok" if ok else why
            log(f"  /api/health: status {health.get('status')}, {why}")
        except (OSError, ValueError, AttributeError) as exc:
            status = None
            log(f"  /api/health: no answer ({type(exc).__name__}: {exc})")
        if status == "ok":
            break
        if i + 1 < tries:
            time.sleep(2)
    return status


def probe_due(run: console.Run, probed: set[str]) -> str | None:
    """The phase whose health probe is due: slot A healthy (1), or the fallback slot
    healthy or saying it rolled back (3) -- either line, in case one is cut."""
    if "1" not in probed and run.has("CBTEST healthy slot=A phase=1"):
        return "1"
    if "3" not in probed and (run.has("CBTEST healthy slot=B phase=3")
                              or run.has("CBTEST rolled-back")):
        return "3"
    return None


@contextlib.contextmanager
def open_when_there(path: Path, qemu: "subprocess.Popen[bytes]") -> Iterator[BinaryIO]:
    """The serial log opened for reading once qemu has created it."""
    while not path.exists():
        if qemu.poll() is not None:
            raise RuntimeError(f"qemu exited ({qemu.returncode}) before writing {path}: "
                               f"{qemu.stderr.read().decode(errors='replace') if qemu.stderr else ''}")
        time.sleep(0.2)
    with open(path, "rb") as f:
        yield f


def stop(qemu: "subprocess.Popen[bytes]") -> None:
    if qemu.poll() is None:
        qemu.terminate()
        try:
            qemu.wait(30)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()


def power_off(qemu: "subprocess.Popen[bytes]", qmp_path: Path, wait_s: float = 60) -> None:
    """ACPI power button, then wait for qemu to exit (the caller kills it after that)."""
    try:
        qmp(qmp_path, {"execute": "system_powerdown"})
        qemu.wait(wait_s)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass


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
    run = console.Run()
    reader = console.Console()
    figures: dict[str, object] = {"accel": mode, "version": version,
                                  "image_bytes": image.stat().st_size}
    bound = units.watchdog_bound_s(units.read())
    probed: set[str] = set()
    last_lines_by: float | None = None     # phase 3 probed: power off at "done" or then
    rc = 1

    def take(lines: list[str]) -> None:
        now = time.monotonic() - t0
        for line in lines:
            if run.add(now, line):
                log(f"{now:7.1f} s  {line}")

    try:
        with open_when_there(serial, qemu) as con:
            try:
                while time.monotonic() - t0 < args.timeout:
                    if qemu.poll() is not None:
                        break
                    time.sleep(1)
                    take(reader.feed(con.read()))
                    if bad_maker is not None and bad_maker.poll() is not None:
                        if bad_maker.returncode != 0:
                            log("making the bad bundle failed")
                            break
                        plug_disk(qmp_path, work / "cbbundle.ext4", "cbbundle")
                        log(f"{time.monotonic() - t0:7.1f} s  bad bundle disk plugged in")
                        bad_maker = None
                    phase = probe_due(run, probed)
                    if phase is not None:
                        probed.add(phase)
                        status = https_status(port, tries=5 if phase == "1" else 30)
                        run.probes.append((time.monotonic() - t0, phase, status))
                        log(f"health over the forwarded port {port} (phase {phase}): {status}")
                        if args.boot_only:
                            power_off(qemu, qmp_path)
                            break
                        if phase == "3":
                            last_lines_by = time.monotonic() + LAST_LINES_S
                    if last_lines_by is not None and (run.has("CBTEST done")
                                                      or time.monotonic() > last_lines_by):
                        power_off(qemu, qmp_path)
                        break
            except KeyboardInterrupt:     # stopped by hand: still a verdict on what came
                log("interrupted; deciding on what the guest printed so far")
            # the rest of the log, to its last byte, once qemu has stopped writing it
            stop(qemu)
            take(reader.feed(con.read()))
            take(reader.flush())
        figures.update(run.figures())
        checks = run.checks(bound, args.boot_only)
        figures["checks"] = checks
        figures["total_s"] = round(time.monotonic() - t0, 1)
        rc = 0 if all(checks.values()) else 1
        for name, ok in checks.items():
            log(f"{'PASS' if ok else 'FAIL'}  {name}")
        log(f"watchdog: {run.watchdog()}; rollback: {run.rolled_back()[1]}")
    finally:
        if bad_maker is not None and bad_maker.poll() is None:
            bad_maker.kill()
        stop(qemu)
        (build / f"image-test-{mode}.json").write_text(json.dumps(figures, indent=1) + "\n")
    log(f"image-test: {'passed' if rc == 0 else 'FAILED'}; figures in "
        f"build/image-test-{mode}.json, console in {serial}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
