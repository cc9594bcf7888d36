#!/usr/bin/python3
"""paramiko_server.py — paramiko's SSH transport and SFTP server (Debian's python3-paramiko).

paramiko implements the protocol (key exchange, authentication, SFTP v3 packets); a server using it
supplies the file system. This one is read-only, rooted at --root ("/" is the root), public-key
logins from an authorized_keys file. One thread per connection. Runs until killed.
"""
import argparse
import base64
import os
import socket
import threading

import paramiko

FAIL = paramiko.SFTP_FAILURE


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host-key", required=True)
    ap.add_argument("--authorized-keys", required=True)
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    root = os.path.realpath(args.root)
    allowed = set()
    with open(args.authorized_keys) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                allowed.add((parts[0], parts[1]))

    class Server(paramiko.ServerInterface):
        def check_auth_publickey(self, username, key):
            blob = base64.b64encode(key.asbytes()).decode()
            return paramiko.AUTH_SUCCESSFUL if (key.get_name(), blob) in allowed else paramiko.AUTH_FAILED

        def get_allowed_auths(self, username):
            return "publickey"

        def check_channel_request(self, kind, chanid):
            return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def local(path):
        """The local path of a client's path: never outside root."""
        p = os.path.realpath(os.path.join(root, path.lstrip("/")))
        return p if p == root or p.startswith(root + os.sep) else None

    def attrs(path, name=None):
        a = paramiko.SFTPAttributes.from_stat(os.stat(path))
        if name is not None:
            a.filename = name
        return a

    class Handle(paramiko.SFTPHandle):
        def stat(self):
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))

    class Files(paramiko.SFTPServerInterface):
        def canonicalize(self, path):
            p = local(path)
            return "/" + os.path.relpath(p, root) if p and p != root else "/"

        def list_folder(self, path):
            p = local(path)
            if p is None or not os.path.isdir(p):
                return paramiko.SFTP_NO_SUCH_FILE
            return [attrs(os.path.join(p, n), n) for n in sorted(os.listdir(p))]

        def stat(self, path):
            p = local(path)
            if p is None or not os.path.exists(p):
                return paramiko.SFTP_NO_SUCH_FILE
            return attrs(p)

        lstat = stat

        def open(self, path, flags, attr):
            p = local(path)
            if flags & (os.O_WRONLY | os.O_RDWR):
                return paramiko.SFTP_PERMISSION_DENIED
            if p is None or not os.path.isfile(p):
                return paramiko.SFTP_NO_SUCH_FILE
            h = Handle(flags)
            h.readfile = open(p, "rb")
            h.filename = p
            return h

    def session(sock):
        t = paramiko.Transport(sock)
        t.add_server_key(paramiko.Ed25519Key.from_private_key_file(args.host_key))
        t.set_subsystem_handler("sftp", paramiko.SFTPServer, Files)
        try:
            t.start_server(server=Server())
            while t.is_active():
                t.join(1)
        except (paramiko.SSHException, EOFError, OSError):
            pass
        finally:
            t.close()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.addr, args.port))
    listener.listen(50)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=session, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
