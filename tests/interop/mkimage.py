#!/usr/bin/env python3
"""mkimage.py ROOTFS OUT NAME [ARG...]: an OCI image layout tarball of ROOTFS, no registry.

Writes OUT, a tar holding the OCI image layout (image-spec, image-layout.md):
  oci-layout                        {"imageLayoutVersion": "1.0.0"}
  index.json                        one manifest, named NAME (io.containerd.image.name, which
                                    `ctr images import` takes as the image's full name)
  blobs/sha256/<layer>              ROOTFS as one gzip'd tar layer
  blobs/sha256/<config>             the image config: this host's os/architecture, PATH, and
                                    ARG... as the entrypoint (none: Cmd ["sh"])
  blobs/sha256/<manifest>           the manifest naming the config and the layer

The layer's diff_id (in the config) is the digest of the uncompressed tar, the descriptors'
digests those of the bytes stored. Files are owned by root, as in a registry's busybox.
"""

import gzip
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
        "s390x": "s390x", "riscv64": "riscv64"}


def layer_of(rootfs):
    """The rootfs as an uncompressed tar (bytes), entries sorted, owned by 0:0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def owned_by_root(info):
            if info.name == ".rung-rootfs":  # mkrootfs.sh's cache stamp, not part of the image
                return None
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            return info
        for entry in sorted(os.listdir(rootfs)):
            tar.add(os.path.join(rootfs, entry), arcname=entry, filter=owned_by_root)
    return buf.getvalue()


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: mkimage.py ROOTFS OUT NAME [ENTRYPOINT...]")
    rootfs, out, name, entrypoint = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    blobs = {}

    def blob(data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    tar = layer_of(rootfs)
    layer = blob(gzip.compress(tar, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip")
    image_config = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    if entrypoint:
        image_config["Entrypoint"] = entrypoint
    else:
        image_config["Cmd"] = ["sh"]
    config = {
        "architecture": ARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "config": image_config,
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    }
    config_desc = blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer]}
    manifest_desc = blob(json.dumps(manifest).encode(),
                         "application/vnd.oci.image.manifest.v1+json")
    manifest_desc["annotations"] = {"io.containerd.image.name": name,
                                    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest_desc]}

    with tarfile.open(out, "w") as archive:
        def put(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
        put("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        put("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            put("blobs/sha256/" + digest.split(":", 1)[1], data)


if __name__ == "__main__":
    main()
