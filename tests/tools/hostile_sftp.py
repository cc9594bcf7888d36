#!/usr/bin/python3
"""hostile_sftp.py -- a scripted SSH/SFTP server that lies, floods and injects, for sftpdrill's tests.

    tests/tools/hostile_sftp.py SPEC.json

Prints "ready" once it listens, then serves until it is killed. SPEC (JSON):

    {"listen": ["127.152.14.121", 10030],
     "host_key": "PATH", "authorized_keys": "PATH",
     "auth_methods": ["publickey", "..."],   names it answers a refused login with (escapes allowed)
     "folders": {"/reports": [FILE, ...], "/endless": "endless"}}

A FILE is {"name": TEXT} or {"name_hex": HEX} (the name as raw bytes), and either "content": TEXT or
"stream": "endless" (bytes for ever); "announce": N or null is the size the server claims (default:
the content's length; null: no size at all). "status": TEXT makes opening it fail with that message.
A folder that is "endless" lists names for ever. Built on Debian's python3-asyncssh (2.10 in Debian 12,
2.20 in Debian 13).
"""
import asyncio
import json
import sys

import asyncssh
from asyncssh import sftp
from asyncssh.sftp import SFTPAttrs, SFTPName, SFTPServer

SPEC = json.load(open(sys.argv[1]))
REGULAR = 0o100644
FOLDER = 0o040755


def raw_name(entry):
    if 'name_hex' in entry:
        return bytes.fromhex(entry['name_hex'])
    return entry['name'].encode('utf-8')


def attrs_of(entry):
    if entry is None:
        return SFTPAttrs(permissions=FOLDER)
    size = entry.get('announce', len(entry.get('content', '').encode('utf-8')))
    return SFTPAttrs(permissions=REGULAR, size=size)


class EndlessNames:
    """The names of a listing that never ends, made a batch at a time."""

    def __init__(self):
        self.count = 0

    def batch(self):
        names = []
        for _ in range(1000):
            self.count += 1
            names.append(SFTPName(b'FLOOD_%012d_padding_to_make_the_names_longer.csv' % self.count,
                                  attrs=SFTPAttrs(permissions=REGULAR, size=1)))
        return names


class HostileFile:
    def __init__(self, entry):
        self.entry = entry
        self.content = entry.get('content', '').encode('utf-8')


class Hostile(SFTPServer):
    def _lookup(self, path):
        folder, _, name = path.rpartition(b'/')
        files = SPEC['folders'].get((folder or b'/').decode('utf-8', 'replace'))
        if not isinstance(files, list):
            return None
        for entry in files:
            if raw_name(entry) == name:
                return entry
        return None

    def listdir(self, path):
        files = SPEC['folders'].get(path.decode('utf-8', 'replace'))
        if files == 'endless':
            return []       # the handle opendir made reads EndlessNames instead
        if files is None:
            raise sftp.SFTPNoSuchFile('no such folder')
        return [SFTPName(raw_name(e), attrs=attrs_of(e)) for e in files]

    def stat(self, path):
        if path.decode('utf-8', 'replace') in SPEC['folders']:
            return attrs_of(None)
        entry = self._lookup(path)
        if entry is None:
            raise sftp.SFTPNoSuchFile('no such file')
        return attrs_of(entry)

    lstat = stat

    def realpath(self, path):
        return path

    def open(self, path, pflags, attrs):
        entry = self._lookup(path)
        if entry is None:
            raise sftp.SFTPNoSuchFile('no such file')
        if 'status' in entry:
            raise sftp.SFTPPermissionDenied(entry['status'])
        return HostileFile(entry)

    def fstat(self, file_obj):
        return attrs_of(file_obj.entry)

    def read(self, file_obj, offset, size):
        if file_obj.entry.get('stream') == 'endless':
            return b'x' * size
        return file_obj.content[offset:offset + size]

    def close(self, file_obj):
        pass


# A listing that never ends: asyncssh keeps a whole listing in a list, so its readdir is replaced.
_opendir = sftp.SFTPServerHandler._packet_handlers[sftp.FXP_OPENDIR]


async def opendir(self, packet):
    # Which folder, read from the request itself: asyncssh 2.10 lists at opendir, 2.20 (Debian 13)
    # only at the first readdir, so nothing the listing does can say it in time.
    start = packet._idx
    path = packet.get_string()
    packet._idx = start
    handle = await _opendir(self, packet)
    if SPEC['folders'].get(path.decode('utf-8', 'replace')) == 'endless':
        self._dir_handles[handle] = EndlessNames()
    return handle


_readdir = sftp.SFTPServerHandler._packet_handlers[sftp.FXP_READDIR]


async def readdir(self, packet):
    start = packet._idx
    names = self._dir_handles.get(packet.get_string())
    if isinstance(names, EndlessNames):
        return names.batch(), False
    packet._idx = start
    return await _readdir(self, packet)


sftp.SFTPServerHandler._packet_handlers[sftp.FXP_OPENDIR] = opendir
sftp.SFTPServerHandler._packet_handlers[sftp.FXP_READDIR] = readdir

# The names a refused login is told it may use: whatever the spec says, escapes included.
if 'auth_methods' in SPEC:
    asyncssh.connection.get_supported_server_auth_methods = \
        lambda conn: [m.encode('utf-8') for m in SPEC['auth_methods']]


async def main():
    host, port = SPEC['listen']
    await asyncssh.listen(host, port, server_host_keys=[SPEC['host_key']],
                          authorized_client_keys=SPEC['authorized_keys'], sftp_factory=Hostile,
                          allow_scp=False)
    print('ready', flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
