#!/bin/sh
# mmdebstrap customize hook (image/build.py runs it): $1 is the root filesystem,
# $2 the build's staging folder (wheels/, etc/ rendered by image/render.py).
# Installs the Callbox wheel into /opt/callbox, enables the units, builds GRUB's
# EFI binary from the image's own grub-efi-amd64-bin, and leaves the root ready to
# be a read-only squashfs (empty machine-id, kernel and initrd at fixed names).
set -eu
root=$1
stage=$2
echo "customize: Callbox wheel and its dependencies into /opt/callbox"
mkdir -p "$root/tmp/wheels"
cp "$stage"/wheels/*.whl "$root/tmp/wheels/"
chroot "$root" python3 -m venv /opt/callbox
chroot "$root" /opt/callbox/bin/pip install --quiet --no-index --no-cache-dir --no-compile \
    --find-links /tmp/wheels callbox
rm -rf "$root/tmp/wheels"
# .pyc files that name no time: pip's would hold each source's mtime at install (the
# tar then clamps that mtime to SOURCE_DATE_EPOCH, so they would also be stale and
# rewritten into the RAM overlay at every boot). The root is read-only, so the hash
# of the source is never checked again (unchecked-hash); PYTHONHASHSEED=0 (from
# image/build.py) fixes the order of set constants.
echo "customize: compiling /opt/callbox (unchecked-hash .pyc)"
chroot "$root" env PYTHONHASHSEED=0 /opt/callbox/bin/python -m compileall -q -f \
    --invalidation-mode unchecked-hash /opt/callbox/lib
chroot "$root" /opt/callbox/bin/python -c "import acd_core, firmware; print('customize: callbox', firmware.__name__, 'imports')"
ln -sf /opt/callbox/bin/callbox "$root/usr/local/bin/callbox"

echo "customize: rendered configuration"
cp -a "$stage"/etc/. "$root/etc/"
mkdir -p "$root/data" "$root/boot/efi"
ln -sf ../sites-available/callbox "$root/etc/nginx/sites-enabled/callbox"
rm -f "$root/etc/nginx/sites-enabled/default"

echo "customize: units"
chroot "$root" systemctl enable callbox.service callbox-firstboot.service \
    callbox-boot-deadline.service callbox-test-hook.service systemd-networkd.service
chroot "$root" systemctl mask rauc-mark-good.service 2>/dev/null || true
chroot "$root" systemctl set-default multi-user.target

echo "customize: GRUB EFI binary"
mkdir -p "$root/usr/lib/callbox/efi"
cp "$stage/grub-early.cfg" "$root/tmp/grub-early.cfg"
chroot "$root" grub-mkimage -O x86_64-efi -p /EFI/BOOT -c /tmp/grub-early.cfg \
    -o /usr/lib/callbox/efi/BOOTX64.EFI \
    part_gpt fat squash4 ext2 normal linux echo test regexp loadenv configfile \
    search search_fs_uuid gzio xzio all_video efi_gop serial terminal reboot halt sleep cat
rm -f "$root/tmp/grub-early.cfg"

echo "customize: kernel and initrd at fixed names"
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)
ln -f "$kernel" "$root/boot/vmlinuz"
ln -f "$initrd" "$root/boot/initrd.img"

echo "customize: read-only root"
: > "$root/etc/machine-id"
# mmdebstrap copies the build host's resolv.conf: the box must not carry it
# (nor would two hosts' builds be equal); nothing here configures a resolver yet
rm -f "$root/etc/resolv.conf"
printf '# no resolver configured in the image (see docs/image.md)\n' > "$root/etc/resolv.conf"
rm -f "$root/var/lib/dbus/machine-id"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
# apt's binary caches (72 MB) differ from build to build; apt remakes them on demand
rm -f "$root"/var/cache/apt/*.bin
# the host's deb cache is synced in: its folders' times must not reach the image
# (a first build, with an empty cache, differed from the next in partial/'s mtime)
touch -h -d "@${SOURCE_DATE_EPOCH:?image/build.py sets it}" \
    "$root/var/cache/apt/archives" "$root/var/cache/apt/archives/partial"
find "$root/opt/callbox" -name '__pycache__' -path '*/tests/*' -prune -exec rm -rf {} +
