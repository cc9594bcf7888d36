#!/usr/bin/python3
"""asyncssh_server.py — asyncssh's SFTP server (Debian's python3-asyncssh) for the interop suite.

Public-key logins from an authorized_keys file, SFTP only, chrooted to --root. Two limits a real
service may set, for the engine's tests:
  --max-handles N   an open is refused (SSH_FX_FAILURE, as servers with a handle table do) while N
                    handles are open on the connection, whatever SFTP channel they are on
  --stall GLOB      reads of matching files answer the first block, then never again (a stall)
Prints "ready" once listening; runs until killed.
"""
import argparse
import asyncio
import fnmatch
import os

import asyncssh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host-key", required=True)
    ap.add_argument("--authorized-keys", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--max-handles", default="")
    ap.add_argument("--stall", default="")
    args = ap.parse_args()
    max_handles = int(args.max_handles) if args.max_handles else 0
    open_on = {}                # connection -> handles open on it


    class Server(asyncssh.SFTPServer):
        def __init__(self, chan):
            super().__init__(chan, chroot=args.root)
            self.conn = chan.get_connection()
            self.names = {}

        def open(self, path, pflags, attrs):
            if max_handles and open_on.get(self.conn, 0) >= max_handles:
                raise asyncssh.SFTPFailure("too many open files")
            f = super().open(path, pflags, attrs)
            open_on[self.conn] = open_on.get(self.conn, 0) + 1
            self.names[id(f)] = os.path.basename(path.decode("utf-8", "replace"))
            return f

        def close(self, file_obj):
            if self.names.pop(id(file_obj), None) is not None:
                open_on[self.conn] -= 1
            return super().close(file_obj)

        async def read(self, file_obj, offset, size):
            name = self.names.get(id(file_obj), "")
            if args.stall and offset > 0 and fnmatch.fnmatch(name, args.stall):
                await asyncio.Event().wait()
            return super().read(file_obj, offset, size)

    async def serve():
        await asyncssh.listen(args.addr, args.port, server_host_keys=[args.host_key],
                              authorized_client_keys=args.authorized_keys, sftp_factory=Server,
                              allow_scp=False)
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
