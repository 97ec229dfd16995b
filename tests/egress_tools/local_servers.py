#!/usr/bin/env python3
"""Local package servers for the real-tool egress tests, on 127.0.0.1 only, no internet.

    local_servers.py DIR

Makes its fixtures in DIR (a test CA and a server certificate for the names pkgs.test and
blocked.test, a file, a PEP 503 simple index with a tiny wheel, an npm package, a bare git
repository, ssh keys), then serves DIR over HTTP and over HTTPS, the git repository over git's
own protocol (`git daemon --inetd` per connection) and, where /usr/sbin/sshd exists, over ssh
(`sshd -i` per connection, logging in this user with the key in DIR/ssh), on ephemeral ports,
and prints {"http": PORT, "https": PORT, "git": PORT, "ssh": PORT or null} as one line on
stdout. It serves until its stdin closes.

  /files/hello.txt                  a static file
  /simple/tinywheel/                the simple index page of the wheel (pip --index-url .../simple/)
  /npm/tinynpm                      npm registry metadata (tarball URL from the Host header)
  /npm/tinynpm/-/tinynpm-1.0.0.tgz  the package tarball
  /git/repo.git/...                 git's smart HTTP protocol through `git http-backend`
  git://HOST:GITPORT/repo.git       the same repository through `git daemon`
  ssh://USER@HOST:SSHPORT/DIR/git/repo.git   the same repository through sshd
"""
import base64
import hashlib
import http.server
import io
import json
import os
import socketserver
import ssl
import subprocess
import sys
import tarfile
import threading
import zipfile

ROOT = os.path.abspath(sys.argv[1])
HELLO = b"hello from the local server\n"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_certificates():
    """A CA and a server certificate it signs, for pkgs.test and blocked.test."""
    d = os.path.join(ROOT, "tls")
    os.makedirs(d, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=airlock test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pkgs.test", "-keyout",
        "server.key", "-out", "server.csr")
    write(os.path.join(d, "ext.cnf"),
          b"subjectAltName=DNS:pkgs.test,DNS:blocked.test\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")


def make_wheel():
    """tinywheel 1.0: one module, a valid wheel (METADATA, WHEEL, RECORD with hashes)."""
    files = {
        "tinywheel/__init__.py": b"GREETING = 'tinywheel installed'\n",
        "tinywheel-1.0.dist-info/METADATA":
            b"Metadata-Version: 2.1\nName: tinywheel\nVersion: 1.0\n",
        "tinywheel-1.0.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tinywheel-1.0.dist-info/RECORD,,")
    files["tinywheel-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    wheel = buf.getvalue()
    name = "tinywheel-1.0-py3-none-any.whl"
    write(os.path.join(ROOT, "files", name), wheel)
    sha = hashlib.sha256(wheel).hexdigest()
    page = (f'<!DOCTYPE html><html><body><a href="../../files/{name}#sha256={sha}">{name}</a>'
            "</body></html>\n")
    write(os.path.join(ROOT, "simple", "tinywheel", "index.html"), page.encode())


def make_npm_package():
    """tinynpm 1.0.0: the tarball (package/ prefix, as npm pack makes it) and its integrity."""
    files = {
        "package/package.json": json.dumps({"name": "tinynpm", "version": "1.0.0",
                                            "main": "index.js"}).encode(),
        "package/index.js": b"module.exports = 'tinynpm installed';\n",
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    tgz = buf.getvalue()
    write(os.path.join(ROOT, "npm", "tinynpm", "-", "tinynpm-1.0.0.tgz"), tgz)
    return {
        "shasum": hashlib.sha1(tgz).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
    }


def make_git_repository():
    """A bare repository with one commit holding README.txt."""
    work = os.path.join(ROOT, "git-work")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_CONFIG_NOSYSTEM="1")

    def git(*args):
        subprocess.run(["git", *args], check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    git("init", "-q", "-b", "main", work)
    write(os.path.join(work, "README.txt"), b"cloned through the proxy\n")
    git("-C", work, "add", "README.txt")
    git("-C", work, "commit", "-q", "-m", "one")
    git("clone", "-q", "--bare", work, os.path.join(ROOT, "git", "repo.git"))


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/git/"):
            return self.git_backend()
        if self.path.split("?")[0].rstrip("/") == "/npm/tinynpm":
            return self.npm_metadata()
        return super().do_GET()

    def do_POST(self):
        if self.path.startswith("/git/"):
            return self.git_backend()
        self.send_error(405)

    def send_body(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def npm_metadata(self):
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        base = f"{scheme}://{self.headers.get('Host')}/npm/tinynpm"
        dist = dict(NPM_DIST, tarball=f"{base}/-/tinynpm-1.0.0.tgz")
        doc = {"name": "tinynpm", "dist-tags": {"latest": "1.0.0"},
               "versions": {"1.0.0": {"name": "tinynpm", "version": "1.0.0", "main": "index.js",
                                      "dist": dist}}}
        self.send_body(200, [("Content-Type", "application/json")], json.dumps(doc).encode())

    def git_backend(self):
        path, _, query = self.path[len("/git"):].partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {"GIT_PROJECT_ROOT": os.path.join(ROOT, "git"), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k, v.strip()))
        self.send_body(status, headers, payload)


SSHD = "/usr/sbin/sshd"


def make_ssh_keys():
    """A host key, a client key this user logs in with, and sshd's configuration."""
    d = os.path.join(ROOT, "ssh")
    os.makedirs(d, exist_ok=True)
    for name in ("host_key", "id_ed25519"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, name)],
                       check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(d, "id_ed25519.pub"), "rb") as f:
        write(os.path.join(d, "authorized_keys"), f.read())
    write(os.path.join(d, "sshd_config"), (
        f"HostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n").encode())


class Sshd(socketserver.BaseRequestHandler):
    """One connection: `sshd -i` speaks on it. As root, sshd needs its privilege separation
    directory /run/sshd: it gets one on a tmpfs in a mount namespace of its own, so that
    nothing of the host changes."""

    def handle(self):
        fd = self.request.fileno()
        cmd = [SSHD, "-i", "-e", "-f", os.path.join(ROOT, "ssh", "sshd_config")]
        if os.geteuid() == 0:
            cmd = ["unshare", "-m", "sh", "-c",
                   'mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec "$0" "$@"'] + cmd
        with open(os.path.join(ROOT, "ssh", "sshd.log"), "ab") as log:
            subprocess.run(cmd, stdin=fd, stdout=fd, stderr=log)


class GitDaemon(socketserver.BaseRequestHandler):
    """One connection: `git daemon --inetd` speaks on it."""

    def handle(self):
        fd = self.request.fileno()
        subprocess.run(["git", "daemon", "--inetd", "--export-all",
                        "--base-path=" + os.path.join(ROOT, "git")],
                       stdin=fd, stdout=fd, stderr=subprocess.DEVNULL)


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


make_certificates()
make_wheel()
NPM_DIST = make_npm_package()
make_git_repository()
write(os.path.join(ROOT, "files", "hello.txt"), HELLO)

plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(ROOT, "tls", "server.pem"),
                        os.path.join(ROOT, "tls", "server.key"))
tls.socket = context.wrap_socket(tls.socket, server_side=True)
git = socketserver.ThreadingTCPServer(("127.0.0.1", 0), GitDaemon)
serve(plain)
serve(tls)
serve(git)
ssh_port = None
if os.access(SSHD, os.X_OK):
    make_ssh_keys()
    ssh = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Sshd)
    serve(ssh)
    ssh_port = ssh.server_address[1]
print(json.dumps({"http": plain.server_address[1], "https": tls.server_address[1],
                  "git": git.server_address[1], "ssh": ssh_port}), flush=True)
sys.stdin.read()
