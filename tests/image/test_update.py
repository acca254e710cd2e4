"""Bundle refusals with tiny real RAUC bundles (rauc info / extract on the host).

``rauc install`` itself needs dm-verity and the box's slots, so it runs in the
qemu proof (make image-test); here every check made before it is exercised.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware import update
from firmware.errors import UpdateError
from image import render
from tests.image.conftest import Key, make_bundle


def bundle(tmp: Path, key: Key, version: str, compatible: str = render.COMPATIBLE) -> Path:
    return make_bundle(tmp, key, version, compatible)


@pytest.fixture
def box(tmp_path: Path, keys: dict[str, Key]) -> update.Updater:
    """An installed box's view: system.conf, keyring and running version, in files."""
    (tmp_path / "system.conf").write_text(render.rauc_system_conf())
    (tmp_path / "image-version").write_text("0.1.0.2000\n")
    return update.Updater(keyring=keys["dev"].cert, system_conf=tmp_path / "system.conf",
                          version_file=tmp_path / "image-version")


def test_good_bundle_passes_every_check(tmp_path: Path, keys: dict[str, Key],
                                        box: update.Updater) -> None:
    info = box.check(bundle(tmp_path, keys["dev"], "0.1.0.3000"), verify_payload=True)
    assert info == update.BundleInfo(render.COMPATIBLE, "0.1.0.3000")
    # the same version again is a reinstall, allowed
    assert box.check(bundle(tmp_path, keys["dev"], "0.1.0.2000")).version == "0.1.0.2000"


def test_refuses_other_signer(tmp_path: Path, keys: dict[str, Key], box: update.Updater) -> None:
    with pytest.raises(UpdateError, match="not a bundle signed by a trusted key") as exc:
        box.check(bundle(tmp_path, keys["other"], "0.1.0.3000"))
    assert exc.value.reason == "signature"


def test_refuses_wrong_compatible(tmp_path: Path, keys: dict[str, Key],
                                  box: update.Updater) -> None:
    b = bundle(tmp_path, keys["dev"], "0.1.0.3000", compatible="callbox-arm64")
    with pytest.raises(UpdateError, match="it is for 'callbox-arm64', this box is "
                                          "'callbox-x86_64'") as exc:
        box.check(b)
    assert exc.value.reason == "compatible"


def test_refuses_downgrade(tmp_path: Path, keys: dict[str, Key], box: update.Updater) -> None:
    with pytest.raises(UpdateError, match="older than the running 0.1.0.2000") as exc:
        box.check(bundle(tmp_path, keys["dev"], "0.1.0.1999"))
    assert exc.value.reason == "downgrade"


def test_refuses_tampered_payload(tmp_path: Path, keys: dict[str, Key],
                                  box: update.Updater) -> None:
    b = bundle(tmp_path, keys["dev"], "0.1.0.3000")
    data = bytearray(b.read_bytes())
    data[100] ^= 0xFF                     # inside the squashfs payload, before the signature
    b.write_bytes(bytes(data))
    with pytest.raises(UpdateError) as exc:
        box.check(b, verify_payload=True)
    assert exc.value.reason == "payload"
    assert "does not match its signature" in str(exc.value)


def test_refuses_tampered_signature(tmp_path: Path, keys: dict[str, Key],
                                    box: update.Updater) -> None:
    b = bundle(tmp_path, keys["dev"], "0.1.0.3000")
    data = bytearray(b.read_bytes())
    data[-200] ^= 0xFF                    # inside the CMS signature at the end
    b.write_bytes(bytes(data))
    with pytest.raises(UpdateError) as exc:
        box.check(b)
    assert exc.value.reason == "signature"


def test_refuses_missing_and_non_bundle(tmp_path: Path, box: update.Updater) -> None:
    with pytest.raises(UpdateError, match="does not exist"):
        box.check(tmp_path / "none.raucb")
    junk = tmp_path / "junk.raucb"
    junk.write_bytes(b"not a bundle" * 100)
    with pytest.raises(UpdateError, match="not a bundle signed"):
        box.check(junk)


def test_not_an_installed_box(tmp_path: Path, keys: dict[str, Key]) -> None:
    up = update.Updater(keyring=keys["dev"].cert, system_conf=tmp_path / "none.conf",
                        version_file=tmp_path / "v")
    with pytest.raises(UpdateError, match="not an installed box"):
        up.check(bundle(tmp_path, keys["dev"], "0.1.0.3000"))


def test_versions_and_argv() -> None:
    assert update.parse_version("0.1.0.1796452555") == (0, 1, 0, 1796452555)
    assert update.parse_version("0.2.0.1") > update.parse_version("0.1.9.9")
    for bad in ("", "1.x", "1..2", "v1"):
        with pytest.raises(UpdateError, match="not dotted numbers"):
            update.parse_version(bad)
    assert update.install_argv(Path("/data/up.raucb")) == ["rauc", "install", "/data/up.raucb"]
    assert update.progress_of("  40% Copying image to rootfs.1") == (40, "Copying image to rootfs.1")
    assert update.progress_of("installing") is None
