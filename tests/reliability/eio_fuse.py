#!/usr/bin/python3
"""A read-only FUSE file system with one file, `vmcore`, that mirrors IMAGE except that reads touching the given
byte ranges fail with EIO, as a failing disk does. Used by eio.sh where device-mapper's `error` target is not
available (e.g. a kernel built without CONFIG_BLK_DEV_DM). The kernel reads it through the page cache, so a bad range
fails whole 4 KiB file pages, for read(2) and for mmap (SIGBUS, or an error from MADV_POPULATE_READ).

    eio_fuse.py IMAGE MOUNTPOINT OFFSET:LENGTH[,OFFSET:LENGTH...]
"""
import errno
import os
import stat
import sys

from fusepy import FUSE, FuseOSError, Operations


class FailingImage(Operations):
    def __init__(self, image, bad):
        self.fd = os.open(image, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        self.bad = bad

    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2}
        if path == "/vmcore":
            return {"st_mode": stat.S_IFREG | 0o444, "st_nlink": 1, "st_size": self.size}
        raise FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return [".", "..", "vmcore"]

    def open(self, path, flags):
        if path != "/vmcore":
            raise FuseOSError(errno.ENOENT)
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise FuseOSError(errno.EROFS)
        return 0

    def read(self, path, size, offset, fh):
        for start, length in self.bad:
            if start < offset + size and start + length > offset:
                raise FuseOSError(errno.EIO)
        return os.pread(self.fd, size, offset)


def main():
    image, mountpoint, spec = sys.argv[1], sys.argv[2], sys.argv[3]
    bad = [tuple(int(x, 0) for x in r.split(":")) for r in spec.split(",") if r]
    FUSE(FailingImage(image, bad), mountpoint, foreground=True, ro=True, nothreads=True, allow_other=True)


if __name__ == "__main__":
    main()
